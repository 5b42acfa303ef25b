"""Open placements by provision type and primary need at the month end, and flows over the last 12 months."""

from __future__ import annotations

import pandas as pd

from orchestration.reports.content import Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.formatting import month_label
from orchestration.reports.labels import need_name, provision_name
from orchestration.reports.public_tables import TOTAL, public_table, public_two_way
from orchestration.reports.sections.common import SectionSpec, numbers, require, total_of

FLOW_COLUMNS = ["month", "provision_type", "primary_need", "starters", "leavers", "active_end_of_month"]
MOVES = ("starters", "leavers", "active_end_of_month")


def build(data: PackData, section: Section) -> Section:
    """A provision type × need grid of open placements, then starters and leavers by type."""
    flows = require(data, "placement_flows", FLOW_COLUMNS, "Placement data")
    at_month = flows[flows["month"] == flows["month"].max()]
    month = str(at_month["month"].iloc[0])
    grid = at_month.assign(provision_label=at_month["provision_type"].map(provision_name)).pivot_table(
        index="provision_label",
        columns="primary_need",
        values="active_end_of_month",
        aggfunc="sum",
        fill_value=0,
        observed=True,
    )
    grid.index.name = None
    grid.columns = [str(column) for column in grid.columns]
    active = int(numbers(at_month["active_end_of_month"]).sum())
    section.paragraphs.append(
        f"{active:,} EHCP placements were open at the end of {month_label(month)}. Counts of 1 to "
        f"{data.rules.min_count - 1} are shown as c, and so is the next smallest count in the same row or "
        "column, so no small number can be worked out from the totals."
    )
    section.tables.append(
        public_two_way(
            f"Open placements at the end of {month_label(month)}, by provision type and primary need",
            grid,
            "Provision type",
            rules=data.rules,
            note="Need codes: " + "; ".join(need_name(code) for code in grid.columns) + ".",
        )
    )
    last_year = pd.period_range(end=pd.Period(month, freq="M"), periods=12, freq="M").strftime("%Y-%m")
    window = flows[flows["month"].isin(list(last_year))]
    moves = window.groupby("provision_type", as_index=False)[["starters", "leavers"]].sum()
    moves = moves.merge(
        at_month.groupby("provision_type", as_index=False)["active_end_of_month"].sum(),
        on="provision_type",
        how="outer",
    ).fillna(0)
    moves["provision_label"] = moves["provision_type"].map(provision_name)
    moves = moves.sort_values("provision_label").reset_index(drop=True)
    total = {"provision_type": TOTAL, "provision_label": "All provision"}
    moves = pd.concat(
        [moves, pd.DataFrame([total | {c: total_of(moves[c]) for c in MOVES}])], ignore_index=True
    )
    section.tables.append(
        public_table(
            f"Starters and leavers in the 12 months to {month_label(month)}",
            moves,
            [
                Column("provision_label", "Provision type"),
                Column("starters", "Starters", "count"),
                Column("leavers", "Leavers", "count"),
                Column("active_end_of_month", "Open at month end", "count"),
            ],
            rules=data.rules,
            counts=list(MOVES),
            total_rows=moves["provision_type"].eq(TOTAL),
        )
    )
    return section


SECTION = SectionSpec("placements", "Placements by type and need", build)
