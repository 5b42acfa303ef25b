"""The Schools Forum pack as a Dagster asset, drawn after the marts for each run's latest ledger month."""

import base64

import dagster as dg

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.progress import report
from orchestration.reports.data import MART_NAMES
from orchestration.resources import HighNeedsHome


@dg.asset(
    key=dg.AssetKey(["reports", "schools_forum_pack"]),
    deps=[dg.AssetKey(["marts", name]) for name in MART_NAMES],
    group_name="reports",
    description="Schools Forum pack for the latest ledger month: public HTML and PDF under statistical "
    "disclosure control, and the finance officers' workbook and the DSG management plan workbook "
    "(both OFFICIAL-SENSITIVE), in <home>/reports/<YYYY-MM>/.",
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
            "management_plan": dg.MetadataValue.path(str(result.paths["management_plan"])),
            "pdf_pages": result.pdf_pages,
            "seconds": round(result.seconds, 2),
            "not_available_yet": dg.MetadataValue.json(result.unavailable_sections),
            "headline": dg.MetadataValue.md("\n\n".join(result.headline)),
            **_chart_metadata(result.paths),
        }
    )


def _chart_metadata(paths: dict) -> dict[str, dg.MetadataValue]:
    """The pack's charts inline in the UI, so a finance officer sees the trajectory without opening files."""
    charts = {}
    for name, path in paths.items():
        if name.startswith("chart:") and path.exists():
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            charts[f"chart_{name.removeprefix('chart:')}"] = dg.MetadataValue.md(
                f"![{name.removeprefix('chart:')}](data:image/png;base64,{encoded})"
            )
    return charts
