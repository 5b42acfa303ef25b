"""The DSG management plan: all four blocks, EHC plans by placement type over the censuses, workstream RAG.

Schools Forum sees the management plan at least termly. The block figures are money at block level and the
workstream savings are money per workstream: no child behind them, so only the EHC plan counts go through
disclosure control (counts below min_count shown as c, with secondary suppression).
"""

from __future__ import annotations

import pandas as pd

from orchestration.reports.content import Column, NotAvailable, Section
from orchestration.reports.data import PackData
from orchestration.reports.formatting import month_label, year_end_label
from orchestration.reports.labels import rag_basis_name, rag_name
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import TOTAL, public_table
from orchestration.reports.sections.common import SectionSpec, require

BLOCK_COLUMNS = [
    "financial_year",
    "dsg_block",
    "block_name",
    "block_order",
    "income_gbp",
    "transfer_in_gbp",
    "spend_gbp",
    "spend_status",
    "in_year_gbp",
]
TREND_COLUMNS = ["snapshot_month", "breakdown", "category", "category_name", "ehcps", "is_january"]
TRACKER_COLUMNS = [
    "workstream",
    "owner",
    "financial_year",
    "target_saving_gbp",
    "delivered_saving_gbp",
    "delivered_pct",
    "rag",
    "rag_basis",
    "is_due",
]
SPEND_STATUS = {"outturn": "outturn", "forecast": "forecast", "missing": "not supplied"}
YEARS_SHOWN = 5
INDEPENDENT_SPECIAL = "independent_non_maintained"


def _position_row(data: PackData, financial_year: str) -> pd.Series | None:
    position = data.table("dsg_deficit_position")
    if position is None or "closing_balance_all_blocks_gbp" not in position.columns:
        return None
    rows = position[position["financial_year"] == financial_year]
    return rows.iloc[0] if not rows.empty else None


def _whole_dsg_words(data: PackData, blocks: pd.DataFrame) -> str:
    """The whole-DSG closing balance beside the High Needs view, or which blocks' spend is missing."""
    year = data.financial_year
    missing = blocks.loc[blocks["spend_gbp"].isna(), "block_name"].tolist()
    if missing:
        return (
            f"The finance system has not supplied {' or '.join(name.lower() for name in missing)} spend for "
            f"{year}, so the whole-DSG figures are shown as x (not available), never as zero."
        )
    row = _position_row(data, year)
    if row is None or pd.isna(row["closing_balance_all_blocks_gbp"]):
        return f"The whole-DSG balance for {year} is not available yet."
    words = (
        f"Taking all four blocks, the DSG is forecast to close {year} at "
        f"{money_short(float(row['closing_balance_all_blocks_gbp']))} at {year_end_label(year)}"
    )
    if pd.notna(row.get("closing_balance_gbp")):
        words += (
            f", against {money_short(float(row['closing_balance_gbp']))} on the High Needs view, which "
            "assumes the other blocks balance"
        )
    return words + " (a negative balance is a deficit)."


def _blocks_of_year(data: PackData, blocks: pd.DataFrame) -> pd.DataFrame:
    """The pack's year by block, with the whole-DSG total row from dsg_deficit_position."""
    year = blocks[blocks["financial_year"] == data.financial_year].sort_values("block_order")
    if year.empty:
        raise NotAvailable(
            f"The DSG by block is not available yet: no DSG funding for {data.financial_year}."
        )
    table = year.assign(spend_words=year["spend_status"].map(SPEND_STATUS))
    row = _position_row(data, data.financial_year)
    total = {
        "block_name": "Total DSG",
        "income_gbp": year["income_gbp"].sum(min_count=len(year)),
        "transfer_in_gbp": year["transfer_in_gbp"].sum(min_count=len(year)),
        "spend_gbp": None if row is None else row["spend_all_blocks_gbp"],
        "spend_words": "",
        "in_year_gbp": None if row is None else row["in_year_all_blocks_gbp"],
    }
    if row is not None:
        total["income_gbp"] = row["total_dsg_income_gbp"]
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def _in_year_history(data: PackData, blocks: pd.DataFrame) -> pd.DataFrame:
    """In-year by block for the last few years, with the whole-DSG and High Needs-only closing balances."""
    wide = blocks.pivot(index="financial_year", columns="dsg_block", values="in_year_gbp")
    wide = wide.sort_index().tail(YEARS_SHOWN).reset_index()
    wide.columns.name = None
    position = data.table("dsg_deficit_position")
    if position is not None and "closing_balance_all_blocks_gbp" in position.columns:
        balances = position[["financial_year", "closing_balance_all_blocks_gbp", "closing_balance_gbp"]]
        wide = wide.merge(balances, on="financial_year", how="left")
    return wide


def _placement_trend(data: PackData) -> tuple[pd.DataFrame, list[str], str] | None:
    """EHC plans by placement type at each January census before the pack's month: one column a census,
    the total of each census from the mart as the last row; and a sentence on independent special schools.

    A census in the pack's own month is left out: the placements section shows that month by provision
    type, and a group total beside it could give back a count suppressed there.
    """
    trend = data.table("ehcp_population_trend")
    if trend is None or not set(TREND_COLUMNS) <= set(trend.columns):
        return None
    januaries = trend[
        (trend["breakdown"] == "placement_type")
        & trend["is_january"].astype(bool)
        & (trend["snapshot_month"] < data.month)
    ].sort_values(["snapshot_month", "category_order"])
    if januaries.empty:
        return None
    censuses = [month_label(month) for month in januaries["snapshot_month"].unique()]
    grid = januaries.assign(census=januaries["snapshot_month"].map(month_label)).pivot(
        index=["category_order", "category_name"], columns="census", values="ehcps"
    )
    grid = grid.sort_index().droplevel("category_order")[censuses]
    totals = januaries.drop_duplicates("snapshot_month").set_index("snapshot_month")["all_ehcps"]
    grid.loc[TOTAL] = totals.set_axis(totals.index.map(month_label))[censuses]
    grid = grid.rename_axis("placement_type").reset_index()
    latest = januaries[januaries["category"] == INDEPENDENT_SPECIAL].iloc[-1:]
    words = ""
    if (
        not latest.empty
        and "share_pct" in latest.columns
        and int(latest["ehcps"].iloc[0]) >= data.rules.min_count
    ):
        words = (
            f" In {month_label(str(latest['snapshot_month'].iloc[0]))} "
            f"{float(latest['share_pct'].iloc[0]):.1f}% of EHC plans were placed in independent or "
            "non-maintained special schools."
        )
    return grid, censuses, words


def _workstreams(data: PackData) -> tuple[pd.DataFrame, str]:
    """The workstreams of the latest year already due and of the pack's year, with their ratings in words."""
    tracker = require(data, "mitigation_tracker", TRACKER_COLUMNS, "The workstream log")
    # the log is rated as at the newest ledger month: a past month's pack shows its own years as rated now
    tracker = tracker[tracker["financial_year"] <= data.financial_year]
    due_years = tracker.loc[tracker["is_due"].astype(bool), "financial_year"]
    latest_due = str(due_years.max()) if len(due_years) else None
    shown = tracker[tracker["financial_year"].isin({latest_due, data.financial_year})]
    shown = shown.sort_values(["financial_year", "workstream"]).assign(
        rating=shown["rag"].map(rag_name), why=shown["rag_basis"].map(rag_basis_name)
    )
    if latest_due is None:
        return shown, "No workstream's saving is due yet: a year's saving is rated once the year has ended."
    rated = tracker[tracker["financial_year"] == latest_due]["rag"].value_counts()
    counts = ", ".join(
        f"{int(rated[rating])} {rag_name(rating).lower()}"
        for rating in ("green", "amber", "red")
        if rating in rated
    )
    return shown, (
        f"Savings due in {latest_due}: {counts or 'none rated'} (green: 90% or more of the target delivered; "
        "amber: 50% or more; red: less, or nothing reported once the year has ended; grey: not yet due)."
    )


def build(data: PackData, section: Section) -> Section:
    """The four-block summary, the EHC plan trend by placement type, and the workstream RAG table."""
    blocks = require(data, "dsg_blocks", BLOCK_COLUMNS, "The DSG management plan")
    this_year = blocks[blocks["financial_year"] == data.financial_year]
    section.paragraphs.append(
        "The DSG management plan covers all four blocks of the Dedicated Schools Grant. Income is each "
        "block's allocation less recoupment, plus or minus transfers between blocks (a transfer shows on "
        "both blocks). High Needs spend is this platform's own outturn or forecast; the other blocks' spend "
        "comes from the finance system. In-year = income less spend, so a negative figure is an overspend."
    )
    section.paragraphs.append(_whole_dsg_words(data, this_year))
    section.tables.append(
        public_table(
            f"DSG by block, {data.financial_year}",
            _blocks_of_year(data, blocks),
            [
                Column("block_name", "Block"),
                Column("income_gbp", "Income", "money"),
                Column("transfer_in_gbp", "Of which transfers (+ in, − out)", "money"),
                Column("spend_gbp", "Spend", "money"),
                Column("spend_words", "Spend is"),
                Column("in_year_gbp", "In-year (− = overspend)", "money"),
            ],
            rules=data.rules,
        )
    )
    names = blocks.drop_duplicates("dsg_block").sort_values("block_order")
    history = _in_year_history(data, blocks)
    section.tables.append(
        public_table(
            "In-year by block and the closing DSG balance, year by year",
            history,
            [
                Column("financial_year", "Year"),
                *(
                    Column(row.dsg_block, f"{row.block_name} in-year", "money")
                    for row in names.itertuples(index=False)
                    if row.dsg_block in history.columns
                ),
                *(
                    [
                        Column("closing_balance_all_blocks_gbp", "Closing balance, whole DSG", "money"),
                        Column("closing_balance_gbp", "Closing balance, High Needs view", "money"),
                    ]
                    if "closing_balance_gbp" in history.columns
                    else []
                ),
            ],
            rules=data.rules,
            note="x: not available (a block's spend not supplied, or a year not yet known).",
        )
    )
    trend = _placement_trend(data)
    if trend is None:
        section.paragraphs.append(
            "EHC plans by placement type are not available yet: they are counted at each January placements "
            "snapshot (the month of DfE's SEN2 census), and none is loaded before this month."
        )
    else:
        grid, censuses, share_words = trend
        section.paragraphs.append(
            "EHC plans open on the last day of each January (the month of DfE's SEN2 census), by placement "
            f"type.{share_words} Counts of 1 to {data.rules.min_count - 1} are shown as c, and so is the "
            "next smallest count in the same census."
        )
        section.tables.append(
            public_table(
                "EHC plans by placement type, January censuses",
                grid,
                [Column("placement_type", "Placement type"), *(Column(c, c, "count") for c in censuses)],
                rules=data.rules,
                counts=censuses,
                total_rows=grid["placement_type"].eq(TOTAL),
            )
        )
    try:
        workstreams, rating_words = _workstreams(data)
    except NotAvailable as reason:
        section.paragraphs.append(f"{reason} A mitigations file lists each workstream's owner and savings.")
        return section
    section.paragraphs.append(rating_words)
    section.tables.append(
        public_table(
            "Deficit mitigation workstreams: savings against target",
            workstreams,
            [
                Column("workstream", "Workstream"),
                Column("owner", "Owner"),
                Column("financial_year", "Year"),
                Column("target_saving_gbp", "Target saving", "money"),
                Column("delivered_saving_gbp", "Delivered", "money"),
                Column("delivered_pct", "Delivered %", "pct"),
                Column("rating", "Rating"),
                Column("why", "Why"),
            ],
            rules=data.rules,
            note="Ratings are written out in words; x: not reported yet.",
        )
    )
    return section


SECTION = SectionSpec("dsg_plan", "DSG management plan", build)
