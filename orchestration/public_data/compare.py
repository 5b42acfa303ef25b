"""Set one LA's published figures beside its region, England and its statistical neighbours.

The neighbour set is data, not code: `neighbours.yaml` names the LAs and says how they were chosen, so a
Schools Forum reader can see (and challenge) who the county is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from orchestration.public_data.parse import TIDY_COLUMNS, _line_sort_key

NEIGHBOURS_FILE = Path(__file__).with_name("neighbours.yaml")

COMPARISON_COLUMNS = [
    "measure",
    "period",
    "s251_line",
    "comparator",
    "area_name",
    "value",
    "n_areas",
    "la_rank_among_neighbours",
]
COMPARATORS = ("la", "region", "england", "statistical_neighbours")
NEIGHBOURS_LABEL = "Statistical neighbours"


@dataclass(frozen=True)
class NeighbourSet:
    """The LA, its neighbours (`old_la_code, new_la_code, name, region`, one row each) and the method."""

    la_old_code: int
    la_name: str
    method: str
    neighbours: pd.DataFrame

    @property
    def old_la_codes(self) -> list[int]:
        return [int(code) for code in self.neighbours["old_la_code"]]


def load_neighbours(path: Path = NEIGHBOURS_FILE) -> NeighbourSet:
    """The neighbour set in `path`, refused if a code repeats or the LA is listed as its own neighbour."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    neighbours = pd.DataFrame(spec["neighbours"], columns=["old_la_code", "new_la_code", "name", "region"])
    neighbours["old_la_code"] = neighbours["old_la_code"].astype(int)
    la_old_code = int(spec["la"]["old_la_code"])
    if neighbours["old_la_code"].duplicated().any():
        raise ValueError(f"{path.name}: a neighbour is listed twice")
    if la_old_code in set(neighbours["old_la_code"]):
        raise ValueError(f"{path.name}: LA {la_old_code} is listed as its own neighbour")
    return NeighbourSet(la_old_code, str(spec["la"]["name"]), str(spec["method"]).strip(), neighbours)


def benchmark_comparison(
    tidy: pd.DataFrame, la_old_code: int = 916, neighbour_codes: Sequence[int] | None = None
) -> pd.DataFrame:
    """Per measure × period × s251 line where the LA has a row: four rows, `COMPARISON_COLUMNS`.

    - `la`: the LA's value; `la_rank_among_neighbours` = its rank among itself and the neighbours that have
      a value (1 = highest value, ties share the better rank; NULL when the LA's value is NULL).
    - `region`, `england`: the published (or, for budget per head, Σ÷Σ) figure; `n_areas` = LAs of that
      area with a value in the same release.
    - `statistical_neighbours`: unweighted mean of the neighbours' values; `n_areas` = how many had one
      (suppressed or missing neighbours are left out, never counted as zero).

    `tidy` is the table of `load_public_benchmarks`. Neighbours default to `neighbours.yaml`, which is for
    LA 916: for another LA pass `neighbour_codes`.
    """
    missing_columns = set(TIDY_COLUMNS) - set(tidy.columns)
    if missing_columns:
        raise ValueError(f"not a tidy benchmarks table: missing {sorted(missing_columns)}")
    if neighbour_codes is None:
        neighbour_set = load_neighbours()
        if neighbour_set.la_old_code != la_old_code:
            raise ValueError(
                f"{NEIGHBOURS_FILE.name} lists the neighbours of LA {neighbour_set.la_old_code}, "
                f"not {la_old_code}: pass neighbour_codes"
            )
        neighbour_codes = neighbour_set.old_la_codes
    neighbour_codes = [int(code) for code in neighbour_codes]

    frame = tidy.assign(_line=tidy["s251_line"].fillna(""))
    is_la = frame["geography_level"] == "la"
    if not (is_la & (frame["old_la_code"] == la_old_code)).any():
        raise ValueError(f"LA {la_old_code} has no rows in the benchmarks table")

    rows: list[dict] = []
    for (measure, period, line), same in frame.groupby(["measure", "period", "_line"], sort=False):
        las = same[same["geography_level"] == "la"]
        subject = las[las["old_la_code"] == la_old_code]
        if subject.empty:
            continue
        subject = subject.iloc[0]
        peer_values = las.loc[las["old_la_code"].isin(neighbour_codes), "value"].dropna()
        la_value = subject["value"]
        rank = pd.NA if pd.isna(la_value) else 1 + int((peer_values > la_value).sum())
        region_name = subject["region_name"]
        region = same[(same["geography_level"] == "region") & (same["area_name"] == region_name)]
        england = same[same["geography_level"] == "england"]
        key = {"measure": measure, "period": period, "s251_line": line or None}
        rows += [
            {
                **key,
                "comparator": "la",
                "area_name": subject["area_name"],
                "value": la_value,
                "n_areas": int(pd.notna(la_value)),
                "la_rank_among_neighbours": rank,
            },
            {
                **key,
                "comparator": "region",
                "area_name": region_name,
                "value": region["value"].iloc[0] if len(region) else float("nan"),
                "n_areas": int(las.loc[las["region_name"] == region_name, "value"].notna().sum()),
                "la_rank_among_neighbours": pd.NA,
            },
            {
                **key,
                "comparator": "england",
                "area_name": "England",
                "value": england["value"].iloc[0] if len(england) else float("nan"),
                "n_areas": int(las["value"].notna().sum()),
                "la_rank_among_neighbours": pd.NA,
            },
            {
                **key,
                "comparator": "statistical_neighbours",
                "area_name": NEIGHBOURS_LABEL,
                "value": peer_values.mean() if len(peer_values) else float("nan"),
                "n_areas": len(peer_values),
                "la_rank_among_neighbours": pd.NA,
            },
        ]

    comparison = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    comparison = comparison.astype(
        {
            "measure": "str",
            "period": "str",
            "comparator": "str",
            "area_name": "str",
            "value": "float64",
            "n_areas": "Int64",
            "la_rank_among_neighbours": "Int64",
        }
    )
    comparison["s251_line"] = comparison["s251_line"].astype("str")
    order = comparison.assign(
        _line=comparison["s251_line"].map(_line_sort_key, na_action="ignore").fillna(""),
        _comparator=comparison["comparator"].map({name: i for i, name in enumerate(COMPARATORS)}),
    )
    return (
        order.sort_values(["measure", "_line", "period", "_comparator"])
        .drop(columns=["_line", "_comparator"])
        .reset_index(drop=True)
    )
