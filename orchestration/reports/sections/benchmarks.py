"""The LA's latest published figures beside its statistical neighbours, region and England."""

from __future__ import annotations

import pandas as pd

from orchestration.reports.content import Column, Section, Table
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import MARKERS
from orchestration.reports.labels import COMPARATORS, comparator_name, measure_name, s251_name
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, require

KEYS = ["measure", "_line", "period"]
KIND_TITLES = {"money": "Money per head", "pct": "Percentages", "count": "Counts"}


def _kind(measure: str) -> str:
    if measure.endswith("_pct") or "_pct_" in measure:
        return "pct"
    return "money" if measure.endswith("_gbp") else "count"


def _wide(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per measure × line × period, a column per comparator; DfE's own symbol where it has none."""
    wide = (
        frame.groupby([*KEYS, "comparator"], sort=True)["value"].first().unstack("comparator").reset_index()
    )
    wide.columns.name = None
    notes = (
        frame.groupby([*KEYS, "comparator"])["value_note"].first().unstack("comparator")
        if "value_note" in frame
        else pd.DataFrame()
    )
    for comparator in COMPARATORS:
        if comparator not in wide:
            wide[comparator] = float("nan")
        if comparator in notes:
            note = notes[comparator].reindex(pd.MultiIndex.from_frame(wide[KEYS])).to_numpy()
            blank = wide[comparator].isna().to_numpy() & pd.Series(note).isin(MARKERS).to_numpy()
            wide[comparator] = wide[comparator].astype(object).where(~blank, note)
    if "la_rank_among_neighbours" in frame and "n_areas" in frame:
        rank = frame[frame["comparator"] == "la"].set_index(KEYS)["la_rank_among_neighbours"]
        size = frame[frame["comparator"] == "statistical_neighbours"].set_index(KEYS)["n_areas"]
        index = pd.MultiIndex.from_frame(wide[KEYS])
        ranks, sizes = rank.reindex(index).to_numpy(), size.reindex(index).to_numpy()
        wide["rank"] = [
            f"{int(r)} of {int(n) + 1}" if pd.notna(r) and pd.notna(n) else "x"
            for r, n in zip(ranks, sizes, strict=True)
        ]
    else:
        wide["rank"] = "x"
    return wide


def build(data: PackData, section: Section) -> Section:
    """One table per kind of measure (money per head, percentages, counts), measures and lines named."""
    frame = require(
        data, "benchmarks", ["measure", "period", "s251_line", "comparator", "value"], "Benchmarking"
    )
    frame = frame.assign(_line=frame["s251_line"].fillna(""))
    latest = frame.groupby(["measure", "_line"])["period"].transform("max")
    wide = _wide(frame[frame["period"] == latest])
    neighbours = neighbours_table(data)
    section.paragraphs.append(
        "Published DfE figures; statistical neighbours (listed below) are shown as the mean of their "
        "figures, each neighbour counted once. Rank 1 = the highest value among the LA and its neighbours. "
        "Source: DfE, Open Government Licence v3.0."
    )
    comparator_labels = {**{c: comparator_name(c) for c in COMPARATORS}, "la": data.la_name or "This LA"}
    for kind, title in KIND_TITLES.items():
        rows = wide[wide["measure"].map(_kind) == kind].reset_index(drop=True)
        if rows.empty:
            continue
        rows = rows.assign(
            measure_label=rows["measure"].map(measure_name),
            line=[s251_name(line) if line else "all lines" for line in rows["_line"]],
        )
        line_column = [Column("line", "s251 line")] if rows["_line"].ne("").any() else []
        section.tables.append(
            public_table(
                f"Benchmarks: {title}",
                rows,
                [
                    Column("measure_label", "Measure"),
                    *line_column,
                    Column("period", "Period"),
                    *(Column(c, label, kind) for c, label in comparator_labels.items()),
                    Column("rank", "LA rank among neighbours"),
                ],
                rules=data.rules,
                counts=list(COMPARATORS) if kind == "count" else (),
                within=KEYS if kind == "count" else (),
            )
        )
    if neighbours is not None:
        section.tables.append(neighbours)
    return section


def neighbours_table(data: PackData) -> Table | None:
    """The LA's statistical neighbours in order, with their region, distance and how they were chosen."""
    areas = data.table("statistical_neighbours")
    needed = {"neighbour_role", "neighbour_rank", "area_name", "region_name", "selection", "selection_method"}
    if areas is None or areas.empty or not needed <= set(areas.columns):
        return None
    neighbours = areas[areas["neighbour_role"] == "neighbour"].sort_values("neighbour_rank")
    if neighbours.empty:
        return None
    selection = str(neighbours["selection"].iloc[0])
    chosen = SELECTIONS.get(selection, selection)
    return public_table(
        f"Statistical neighbours of {data.la_name or 'this LA'} ({chosen})",
        neighbours.assign(distance=pd.to_numeric(neighbours.get("profile_distance"), errors="coerce")),
        [
            Column("neighbour_rank", "Order", "count"),
            Column("area_name", "Local authority"),
            Column("region_name", "Region"),
            Column("distance", "Distance from this LA's profile", "estimate"),
        ],
        rules=data.rules,
        note=f"{neighbours['selection_method'].iloc[0]} Distance: root mean square of the differences, in "
        "standard deviations across all LAs, over the published profile indicators (0 = the same "
        "profile; x = an indicator is missing).",
    )


SELECTIONS = {
    "listed": "listed in this installation's configuration",
    "computed": "computed: the nearest by published profile",
}


SECTION = SectionSpec("benchmarks", "Benchmarks against England and neighbours", build)
