"""The quality gate's verdict on each landing asset, as Dagster asset checks.

Each `raw/<dataset>` asset declares two checks and reports them from the same step that loads it, because
the suites must run *before* the load's transaction commits (a check run afterwards could not keep a bad
file out):
- `meets_landing_contract` (error, not blocking): every new or changed file passed its suite's errors; a
  refused file stops what is built from its dataset, and fails the run (`assets/refusals.py`);
- `plausible` (warnings only): unusually large costs or monthly spend, text that would run as a formula…
Their metadata hold the counts, a table of problems with masked examples, where the refused files were
quarantined, and a link to the Great Expectations Data Docs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dagster as dg

from expectations.problems import Problem
from expectations.report import message_path
from orchestration.contract import Dataset

if TYPE_CHECKING:
    from orchestration.ingest import LoadResult

CONTRACT_CHECK = "meets_landing_contract"
PLAUSIBILITY_CHECK = "plausible"
_MAX_TABLE_ROWS = 50
_MARKDOWN_ESCAPES = str.maketrans(
    {
        "|": r"\|",
        "<": "&lt;",
        ">": "&gt;",
        "[": r"\[",
        "]": r"\]",
        "`": "'",
        "*": r"\*",
        "_": r"\_",
        "\n": " ",
    }
)


def landing_check_specs(dataset: Dataset, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            CONTRACT_CHECK,
            asset=asset_key,
            blocking=False,
            description=f"Every new or changed `{dataset.name}` file meets the landing contract (Great "
            "Expectations suite `expectations/suites.py`); a file that does not is quarantined, not loaded, "
            "and stops the models built from this dataset (the others are still built).",
        ),
        dg.AssetCheckSpec(
            PLAUSIBILITY_CHECK,
            asset=asset_key,
            blocking=False,
            description=f"Warnings on new or changed `{dataset.name}` files worth a person's look (unusual "
            "amounts, text that would run as a spreadsheet formula); they do not stop the run.",
        ),
    ]


def _cell(text: object) -> str:
    return str(text).translate(_MARKDOWN_ESCAPES)


def problems_markdown(problems: list[Problem]) -> str:
    """The problems as a Markdown table for the Dagster UI (examples are masked already)."""
    lines = ["| file | rows | column | rule | message |", "|---|---|---|---|---|"]
    for problem in problems[:_MAX_TABLE_ROWS]:
        rows = ", ".join(str(r) for r in problem.rows[:10]) + (" …" if len(problem.rows) > 10 else "")
        lines.append(
            f"| {_cell(problem.file)} | {rows} | {_cell(problem.column or '')} | {_cell(problem.rule)} "
            f"| {_cell(problem.message)} |"
        )
    if len(problems) > _MAX_TABLE_ROWS:
        lines.append(f"| … | | | | and {len(problems) - _MAX_TABLE_ROWS} more |")
    return "\n".join(lines)


def landing_check_results(dataset: Dataset, result: LoadResult) -> list[dg.AssetCheckResult]:
    """Both checks' results for one ingest: refusals (blocking) and warnings (not blocking)."""
    checked = [report.name for report in result.reports]
    refused = result.refused
    errors = [problem for report in refused for problem in report.errors]
    warnings = result.warnings
    docs = {"data_docs": dg.MetadataValue.url(result.data_docs.as_uri())} if result.data_docs else {}
    contract_metadata: dict[str, object] = {
        "files_checked": dg.MetadataValue.json(checked),
        "files_refused": dg.MetadataValue.json([report.name for report in refused]),
        "errors": len(errors),
        "rows_checked": sum(report.rows_checked for report in result.reports),
        **docs,
    }
    if refused:
        contract_metadata["problems"] = dg.MetadataValue.md(problems_markdown(errors))
        contract_metadata["quarantined_as"] = dg.MetadataValue.json(
            [str(message_path(report.quarantined_as)) for report in refused if report.quarantined_as]
        )
    if not checked:
        description = f"No new or changed {dataset.name} files to check."
    elif refused:
        description = f"{len(refused)} of {len(checked)} file(s) refused and quarantined: " + "; ".join(
            f"{report.name}: {report.errors[0].message}" for report in refused
        )
    else:
        description = f"{len(checked)} file(s) met the contract and were loaded."
    plausibility_metadata: dict[str, object] = {"warnings": len(warnings), **docs}
    if warnings:
        plausibility_metadata["problems"] = dg.MetadataValue.md(problems_markdown(warnings))
    return [
        dg.AssetCheckResult(
            check_name=CONTRACT_CHECK,
            passed=not refused,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=contract_metadata,
            description=description[:1000],
        ),
        dg.AssetCheckResult(
            check_name=PLAUSIBILITY_CHECK,
            passed=not warnings,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=plausibility_metadata,
            description=f"{len(warnings)} warning(s)" if warnings else "Nothing unusual found.",
        ),
    ]
