"""Data quality: what was loaded, what was refused, and which parts of the pack are waiting for data.

The section is a list of parts (`QUALITY_PARTS`), each adding its paragraphs and tables: a new check
(ignored files, months not reconciled to the ledger's control totals) is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from orchestration.reports.content import Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.labels import s251_name, words
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec

QualityPart = Callable[[PackData, Section], None]


def _dataset_summary(file_loads: pd.DataFrame) -> pd.DataFrame:
    loads = file_loads.copy()
    loads["extract_month"] = loads["extract_month"].fillna("").astype(str)
    loads = loads.sort_values(["dataset", "extract_month", "loaded_at"])
    latest = loads.groupby("dataset").tail(1).set_index("dataset")
    summary = loads.groupby("dataset").agg(files=("source_file", "count"), last_loaded=("loaded_at", "max"))
    summary["latest_extract"] = latest["extract_month"].replace("", "reference file")
    summary["latest_rows"] = latest["row_count"]
    summary["last_loaded"] = pd.to_datetime(summary["last_loaded"]).dt.strftime("%Y-%m-%d %H:%M")
    return summary.reset_index()


def files_loaded(data: PackData, section: Section) -> None:
    """One row per dataset: files loaded, the latest extract and its size."""
    if data.file_loads is None or data.file_loads.empty:
        section.paragraphs.append("No landing files have been loaded yet.")
        return
    section.tables.append(
        public_table(
            "Files loaded, by dataset",
            _dataset_summary(data.file_loads),
            [
                Column("dataset", "Dataset"),
                Column("files", "Files loaded", "count"),
                Column("latest_extract", "Latest extract"),
                Column("latest_rows", "Rows in latest file", "count"),
                Column("last_loaded", "Last loaded"),
            ],
            rules=data.rules,
            note="File row counts are counts of records in a delivery, not of children.",
        )
    )


def files_refused(data: PackData, section: Section) -> None:
    """Files in quarantine, with the rules they broke (never the values that broke them)."""
    if data.quarantine.empty:
        section.paragraphs.append("No file is in quarantine: every file delivered passed its checks.")
        return
    section.paragraphs.append(
        f"{len(data.quarantine)} file(s) were refused and are in quarantine; the teams that send them "
        "have the detailed reports."
    )
    section.tables.append(
        public_table(
            "Files in quarantine",
            data.quarantine,
            [
                Column("dataset", "Dataset"),
                Column("source_file", "File"),
                Column("quarantined_at", "Refused on"),
                Column("problems", "Problems", "count"),
                Column("rules", "Rules broken"),
            ],
            rules=data.rules,
        )
    )


OUTCOME_WORDS = {
    "loaded": "loaded",
    "unchanged": "unchanged since it was loaded",
    "refused": "refused (in quarantine)",
    "ignored": "ignored",
}
WARNINGS_COLUMN = "warnings"
"""The quality gate's soft warnings of each file's outcome: a column of the table when any file has one."""


def _refused_rules(data: PackData) -> dict[str, str]:
    """File name → the rules it broke, from its quarantine report (never the report's example values)."""
    if data.quarantine.empty:
        return {}
    return dict(zip(data.quarantine["source_file"], data.quarantine["rules"], strict=True))


def _warnings_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return "" if value is None or pd.isna(value) else str(value)  # type: ignore[arg-type]


def landing_file_outcomes(data: PackData, section: Section) -> None:
    """Each landing file at the latest check of its dataset: loaded, unchanged, refused or ignored, and why.

    A refused file shows the rules it broke, not the gate's message: messages quote (masked) values, and
    the pack is public.
    """
    files = data.landing_files
    if files.empty:
        return
    rules = _refused_rules(data)
    reasons = [
        f"broke: {rules.get(name) or 'see its quarantine report'}" if outcome == "refused" else reason
        for name, outcome, reason in zip(files["file"], files["outcome"], files["reason"], strict=True)
    ]
    frame = files.assign(
        dataset=files["dataset"].fillna("not a dataset"),
        month=files["month"].fillna(""),
        outcome_words=files["outcome"].map(lambda code: OUTCOME_WORDS.get(str(code), words(code))),
        reason=[_warnings_text(reason) for reason in reasons],
    )
    columns = [
        Column("file", "File"),
        Column("dataset", "Dataset"),
        Column("month", "Month"),
        Column("outcome_words", "What happened"),
        Column("reason", "Why"),
    ]
    if WARNINGS_COLUMN in frame:
        frame[WARNINGS_COLUMN] = frame[WARNINGS_COLUMN].map(_warnings_text)
        if frame[WARNINGS_COLUMN].str.len().gt(0).any():
            columns.append(Column(WARNINGS_COLUMN, "Warnings"))
    counts = frame["outcome"].value_counts()
    section.paragraphs.append(
        "At the latest run: "
        + ", ".join(f"{int(counts[code])} file(s) {code}" for code in OUTCOME_WORDS if code in counts)
        + "."
    )
    section.tables.append(
        public_table("What became of each landing file at the latest run", frame, columns, rules=data.rules)
    )


RECONCILIATION_WORDS = {
    "reconciled": "reconciled: within £1 of the control total",
    "not_reconciled": "not reconciled: no control total supplied",
    "mismatch": "mismatch: differs from the control total by more than £1",
}


def ledger_reconciliation(data: PackData, section: Section) -> None:
    """Each ledger month against the finance system's control total; the months not proved complete listed."""
    months = data.table("ledger_reconciliation")
    if months is None or months.empty or "status" not in months:
        return
    block = months[months["scope"] == "block"]
    reconciled = int((block["status"] == "reconciled").sum())
    section.paragraphs.append(
        f"{reconciled} of {len(block)} ledger months reconcile to the finance system's control totals "
        "(within £1)."
    )
    open_items = months[months["status"] != "reconciled"].sort_values(["ledger_month", "scope"])
    if open_items.empty:
        return
    frame = open_items.assign(
        line=[
            s251_name(line) if isinstance(line, str) else "whole block" for line in open_items["s251_line"]
        ],
        status_words=open_items["status"].map(lambda code: RECONCILIATION_WORDS.get(str(code), words(code))),
    )
    section.tables.append(
        public_table(
            "Ledger months not reconciled to a control total",
            frame,
            [
                Column("ledger_month", "Ledger month"),
                Column("line", "s251 line"),
                Column("ledger_total_gbp", "Ledger total", "money"),
                Column("control_total_gbp", "Control total", "money"),
                Column("difference_gbp", "Difference", "money"),
                Column("status_words", "Status"),
            ],
            rules=data.rules,
            note="A month with no control total loads, but nothing proves its extract complete. "
            "x = no control total.",
        )
    )


def tables_not_built(data: PackData, section: Section) -> None:
    """The marts the pack looked for and did not find."""
    if data.missing:
        section.paragraphs.append(
            "Not built yet: " + ", ".join(words(name) for name in sorted(data.missing)) + "."
        )


QUALITY_PARTS: tuple[QualityPart, ...] = (
    files_loaded,
    landing_file_outcomes,
    files_refused,
    ledger_reconciliation,
    tables_not_built,
)


def build(data: PackData, section: Section) -> Section:
    for part in QUALITY_PARTS:
        part(data, section)
    return section


SECTION = SectionSpec("quality", "Data quality", build)
