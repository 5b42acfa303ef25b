"""The Schools Forum pack as a Dagster asset, drawn after the marts for each run's latest ledger month."""

import dagster as dg

from orchestration.progress import report
from orchestration.resources import HighNeedsHome

WAREHOUSE_POOL = "warehouse"
"""The pool of every asset that opens the DuckDB file: the pack reads it, and must not meet a writer."""

PACK_MARTS = (
    "spend_by_provision_type",
    "cost_per_placement",
    "budget_vs_outturn",
    "dsg_deficit_position",
    "placement_flows",
    "exclusion_rates",
    "impact_estimates",
    "event_study",
    "hn_projection",
    "benchmarks",
)
"""The marts the pack draws on (kept beside the asset so this module imports nothing heavy)."""


@dg.asset(
    key=dg.AssetKey(["reports", "schools_forum_pack"]),
    deps=[dg.AssetKey(["marts", name]) for name in PACK_MARTS],
    group_name="reports",
    description="Schools Forum pack for the latest ledger month: public HTML and PDF under statistical "
    "disclosure control, and the finance officers' workbook (OFFICIAL-SENSITIVE), "
    "in <home>/reports/<YYYY-MM>/.",
    pool=WAREHOUSE_POOL,
    kinds={"python", "html", "pdf", "excel"},
)
def schools_forum_pack(context: dg.AssetExecutionContext, highneeds: HighNeedsHome) -> dg.MaterializeResult:
    """Draw the pack for the newest month of ledger actuals; with no ledger yet there is nothing to report."""
    from orchestration.reports.data import latest_ledger_month
    from orchestration.reports.pack import build_pack

    settings = highneeds.settings
    month = latest_ledger_month(settings)
    if month is None:
        report(context, "Schools Forum pack: no ledger month in the warehouse yet, so no pack was drawn")
        return dg.MaterializeResult(metadata={"built": False, "reason": "no ledger actuals loaded yet"})
    report(context, f"Schools Forum pack: drawing {month}")
    result = build_pack(settings, month)
    report(context, f"Schools Forum pack for {month} written to {result.folder} in {result.seconds:.1f}s")
    return dg.MaterializeResult(
        metadata={
            "built": True,
            "month": month,
            "folder": dg.MetadataValue.path(str(result.folder)),
            "html": dg.MetadataValue.path(str(result.paths["html"])),
            "pdf": dg.MetadataValue.path(str(result.paths["pdf"])),
            "workbook": dg.MetadataValue.path(str(result.paths["workbook"])),
            "pdf_pages": result.pdf_pages,
            "seconds": round(result.seconds, 2),
            "not_available_yet": dg.MetadataValue.json(result.unavailable_sections),
            "headline": dg.MetadataValue.md("\n\n".join(result.headline)),
        }
    )
