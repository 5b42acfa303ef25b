"""'What works' in alternative provision, over a hand-made placement history through the real ingest and dbt.

Eighty AP placements ended in 2024/25 at three providers; every figure below is worked by hand:
- A (40 ended): 30 returned to mainstream, 10 moved to a special school: 75 % and 25 %;
- B (10 ended): 1 returned, 4 moved to special, 1 to independent, 4 left the area: 10 % and 50 %;
- C (30 ended): 9 returned, 21 post-16: 30 % and 0 %.
All providers together: 40 of 80 returned, p = 0.5. The 99.8 % control limits are p ± 3.090232 √(p(1−p)/n):
A's n = 40 gives 25.57 % to 74.43 %, so its 75 % is above; B's n = 10 gives 1.14 % to 98.86 %, so its
10 % is within (ten placements cannot tell 10 % from 50 %); C's n = 30 gives 21.79 % to 78.21 %.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from orchestration.settings import Settings
from tests.support.landing import make_upn, placement, write_landing_csv, write_minimal_reference_files
from tests.support.pipeline import load_and_build, query

PROVIDERS = {
    # urn: (end reasons of its placements, last day)
    "100101": (["returned_to_mainstream"] * 30 + ["moved_to_special"] * 10, "2025-03-31"),
    "100102": (
        ["returned_to_mainstream"] + ["moved_to_special"] * 4 + ["moved_to_independent"] + ["left_area"] * 4,
        "2025-03-31",
    ),
    "100103": (["returned_to_mainstream"] * 9 + ["post16_transition"] * 21, "2024-12-20"),
}
START = "2024-09-02"
DAYS = {"2025-03-31": 211, "2024-12-20": 110}  # Sep 29 + Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 28 + Mar 31
ANNUAL_COST = 36_500.0


def write_landing(folder: Path) -> None:
    write_minimal_reference_files(folder)
    rows = []
    serial = 0
    for urn, (reasons, end) in PROVIDERS.items():
        for reason in reasons:
            serial += 1
            rows.append(
                placement(
                    f"AP{serial:03d}",
                    make_upn(823, 4002, 13, serial),
                    "alternative_provision",
                    START,
                    end,
                    f"{ANNUAL_COST:.2f}",
                    provider_urn=urn,
                    provider_name=f"AP provider {urn}",
                    end_reason=reason,
                )
            )
    write_landing_csv(folder, "placements", rows, month="2025-10")


@pytest.fixture(scope="module")
def ap_outcomes(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    root = tmp_path_factory.mktemp("ap_outcomes")
    write_landing(root / "landing")
    settings: Settings = load_and_build(root / "landing", root / "home", "+ap_outcomes")
    return query(settings, "select * from marts.ap_outcomes order by provider_urn").set_index("provider_urn")


def test_return_to_mainstream_and_specialist_shares_of_the_placements_that_ended(ap_outcomes) -> None:
    assert list(ap_outcomes.index) == ["100101", "100102", "100103"]
    assert (ap_outcomes["academic_year"] == "2024/25").all()
    assert ap_outcomes["placements_ended"].tolist() == [40, 10, 30]
    assert ap_outcomes["children"].tolist() == [40, 10, 30]
    assert ap_outcomes["returned_to_mainstream_pct"].tolist() == [75.0, 10.0, 30.0]
    assert ap_outcomes["moved_to_specialist_pct"].tolist() == [25.0, 50.0, 0.0]
    assert (ap_outcomes["overall_returned_to_mainstream_pct"] == 50.0).all()


def test_stays_and_cost_per_placement_follow_the_days_open(ap_outcomes) -> None:
    assert ap_outcomes["mean_days"].tolist() == [211.0, 211.0, 110.0]
    # £36,500 a year is £100 a day
    assert [float(c) for c in ap_outcomes["cost_per_placement_gbp"]] == [21_100.0, 21_100.0, 11_000.0]


@pytest.mark.parametrize(
    ("urn", "n", "low", "high", "position"),
    [
        ("100101", 40, 25.57, 74.43, "above"),
        ("100102", 10, 1.14, 98.86, "within"),
        ("100103", 30, 21.79, 78.21, "within"),
    ],
)
def test_funnel_control_limits_flag_only_what_chance_cannot_explain(
    ap_outcomes, urn: str, n: int, low: float, high: float, position: str
) -> None:
    spread = 3.090232 * math.sqrt(0.5 * 0.5 / n)  # the hand-worked figures, recomputed
    assert round(100 * (0.5 - spread), 2) == low and round(100 * (0.5 + spread), 2) == high
    row = ap_outcomes.loc[urn]
    assert (row["control_limit_low"], row["control_limit_high"]) == (low, high)
    warning = 1.959964 * math.sqrt(0.25 / n)
    assert (row["warning_limit_low"], row["warning_limit_high"]) == (
        round(100 * (0.5 - warning), 2),
        round(100 * (0.5 + warning), 2),
    )
    assert row["funnel_position"] == position
