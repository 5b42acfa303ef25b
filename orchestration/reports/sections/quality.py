"""Data quality: what was loaded, what was refused, and which parts of the pack are waiting for data.

The section is a list of parts (`QUALITY_PARTS`), each adding its paragraphs and tables: a new check
(ignored files, months not reconciled to the ledger's control totals) is one function and one line.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from orchestration.reports.content import Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.labels import words
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


def tables_not_built(data: PackData, section: Section) -> None:
    """The marts the pack looked for and did not find."""
    if data.missing:
        section.paragraphs.append(
            "Not built yet: " + ", ".join(words(name) for name in sorted(data.missing)) + "."
        )


QUALITY_PARTS: tuple[QualityPart, ...] = (files_loaded, files_refused, tables_not_built)


def build(data: PackData, section: Section) -> Section:
    for part in QUALITY_PARTS:
        part(data, section)
    return section


SECTION = SectionSpec("quality", "Data quality", build)
