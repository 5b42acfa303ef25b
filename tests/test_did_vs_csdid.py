"""analyses.did reproduces R did 2.x, checked against csdid (its Python port) on the same simulated data.

csdid is run with ``bstrap=False`` so both report the analytical influence-function SEs R prints with
``att_gt(..., bstrap = FALSE)``; by default csdid (like R) would report multiplier-bootstrap SEs instead.
"""

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from analyses.did import att_gt
from analyses.simulate import StaggeredDesign

csdid_att_gt = pytest.importorskip("csdid.att_gt")

TOLERANCE = 1e-8  # R prints 4 decimals; agreement is to rounding error
AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


def run_csdid(panel: pd.DataFrame, control_group: str, method: str, covariate: bool, **options):
    """csdid's att_gt and every aggte, silenced (it prints its tables)."""
    base_period = options.pop("base_period", "varying")
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = csdid_att_gt.ATTgt(
            yname="y",
            tname="period",
            idname="id",
            gname="first_treated",
            data=panel,
            control_group=control_group.replace("_", ""),
            xformla="~ x" if covariate else None,
            **options,
        ).fit(est_method=method, bstrap=False, base_period=base_period)
        aggregates = {}
        for kind in AGGREGATIONS:
            model.aggte(typec=kind, bstrap=False)
            aggregates[kind] = model.atte
    return model, aggregates


def assert_same_as_csdid(panel: pd.DataFrame, control_group: str, method: str, covariate: bool, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = att_gt(
            panel,
            "y",
            "id",
            "period",
            "first_treated",
            covariates=["x"] if covariate else None,
            control_group=control_group,
            method=method,
            **options,
        )
    model, aggregates = run_csdid(panel, control_group, method, covariate, **options)
    peer = model.results

    gt = ours.group_time
    np.testing.assert_array_equal(gt.cohort, np.asarray(peer["group"], dtype=float))
    np.testing.assert_array_equal(gt.time, np.asarray(peer["year"], dtype=float))
    np.testing.assert_allclose(gt.att, np.asarray(peer["att"], dtype=float), rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(gt.std_error, np.asarray(peer["se"], dtype=float), rtol=0, atol=TOLERANCE)
    assert ours.pretrend_test().statistic == pytest.approx(model.MP["W"], abs=1e-6)

    for kind in AGGREGATIONS:
        mine, theirs = ours.aggregate(kind), aggregates[kind]
        assert mine.estimate == pytest.approx(theirs["overall_att"], abs=TOLERANCE), kind
        assert mine.std_error == pytest.approx(theirs["overall_se"], abs=TOLERANCE), kind
        if kind != "simple":
            np.testing.assert_allclose(mine.table.iloc[:, 0], np.asarray(theirs["egt"], dtype=float))
            np.testing.assert_allclose(mine.table.estimate, np.asarray(theirs["att_egt"]), atol=TOLERANCE)
            np.testing.assert_allclose(
                mine.table.std_error, np.ravel(theirs["se_egt"]).astype(float), atol=TOLERANCE
            )


@pytest.fixture(scope="module")
def heterogeneous_panel() -> pd.DataFrame:
    design = StaggeredDesign(
        n_units=300,
        n_periods=10,
        cohorts=(0, 4, 6, 8),
        cohort_gradient=1.0,
        growth_per_period=0.2,
        trend_x=1.0,
        x_shift_treated=0.3,
    )
    return design.simulate(seed=7)


@pytest.mark.parametrize("covariate", [False, True], ids=["no_covariate", "covariate_x"])
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_group_time_atts_ses_wald_and_all_aggregations_match_csdid(
    heterogeneous_panel, control_group, method, covariate
):
    assert_same_as_csdid(heterogeneous_panel, control_group, method, covariate)


@pytest.mark.parametrize(
    ("cohorts", "control_group", "options"),
    [
        ((0, 1, 4, 7, 20), "never_treated", {}),  # first-period adopters dropped, cohort 20 never treated
        ((3, 5, 7), "never_treated", {}),  # no never-treated: last cohort coerced to the comparison
        ((3, 5, 7), "not_yet_treated", {}),  # no never-treated: last cohort only a comparison
        ((0, 4, 7), "not_yet_treated", {"base_period": "universal"}),
        ((0, 4, 7), "never_treated", {"anticipation": 1}),
    ],
    ids=["first_period_adopters", "no_never_treated_nt", "no_never_treated_nyt", "universal", "anticipation"],
)
def test_r_sample_rules_and_options_match_csdid(cohorts, control_group, options):
    panel = StaggeredDesign(n_units=240, n_periods=9, cohorts=cohorts, trend_x=1.0).simulate(seed=3)
    assert_same_as_csdid(panel, control_group, "dr", True, **options)
