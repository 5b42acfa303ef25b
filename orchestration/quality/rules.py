"""Thresholds and lists the quality rules share, in one place and free of Great Expectations."""

from __future__ import annotations

from orchestration.contract import Dataset

MAX_PLAUSIBLE_ANNUAL_COST_GBP = 250_000
"""A single placement above this a year is shown as a warning: possible, but worth a second look."""

UNUSUAL_MONTH_FACTOR = 3
"""A month's spend on an s251 line above this many times its usual month is shown as a warning."""
USUAL_MONTHS = 12
"""'Usual' is the median monthly spend of the line over at most this many earlier months…"""
MIN_USUAL_MONTHS = 3
"""…and needs at least this many, so a new line does not warn on its second month."""

IDENTIFYING_COLUMNS = frozenset(
    {"upn", "placement_id", "transaction_id", "forename", "surname", "date_of_birth"}
)
"""Columns whose values never appear in clear in a message, report, log or the UI: shown as `A91…`."""

REFERENCED_DATASETS: dict[str, tuple[str, ...]] = {"hn_ledger": ("placements",)}
"""Datasets checked against another one's newest delivery, which must therefore be loaded first."""

FORMULA_START_REGEX = r"^(?:[=@\t\r]|[+-](?![\d,]*\.?\d+$))"
"""Text a spreadsheet would run as a formula (`=`, `@`, or a sign not followed by a plain number)."""

TOTAL_ROW_REGEX = r"(?i)^\s*(?:grand\s+|sub-?\s*)?totals?\s*:?\s*$"
"""A cell that is nothing but 'Total' (or 'Grand total', 'Subtotal:'): a totals row, not data."""

RULE_ORDER = (
    "file_missing",
    "file_empty",
    "not_a_csv",
    "not_an_xlsx",
    "truncated",
    "bad_quoting",
    "wrong_field_count",
    "duplicate_column",
    "missing_column",
    "merged_cells",
    "duplicate_delivery",
    "no_data_rows",
    "total_row",
)
"""Problems are listed in this order first (the first one is the headline), then as the suite found them."""

CHUNK_ROWS = 100_000
"""Rows checked at a time. Peak memory follows this, not the file: about 250 MB above the process for a
ledger (`benchmarks/bench_quality_large_file.py`); 200,000 is 15 % faster for 70 % more memory."""

MAX_ROWS_LISTED = 1_000
"""A problem lists at most this many row numbers; its message always gives the full count."""
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 40


def key_column_label(dataset: Dataset) -> str:
    """How a problem names a dataset's key: `transaction_id`, or `school_urn + academic_year + …`."""
    return " + ".join(dataset.unique_key)
