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

FORMULA_START_REGEX = r"^(?:[=@\t\r]|[+-](?:$|.*[^0-9,.]|.*\..*\.|.*[^0-9]$|.*\..*,))"
"""Text a spreadsheet would run as a formula: `=`, `@`, or a sign not followed by a plain number (a sign
then nothing, a character other than digits, commas and a point, two points, no final digit, or a comma
after the point). Written without look-ahead so that pandas runs it in Arrow's RE2, not row by row."""

TOTAL_ROW_REGEX = r"(?i)^[ \t]*(?:grand[ \t]+|sub-?[ \t]*)?totals?[ \t]*:?[ \t]*$"
"""A cell that is nothing but 'Total' (or 'Grand total', 'Subtotal:'): a totals row, not data (RE2-safe)."""

RULE_ORDER = (
    "symlink",
    "outside_landing_folder",
    "not_a_regular_file",
    "future_month",
    "file_missing",
    "file_empty",
    "not_a_csv",
    "not_an_xlsx",
    "xlsx_too_large",
    "truncated",
    "bad_quoting",
    "wrong_field_count",
    "no_header_row",
    "duplicate_column",
    "missing_column",
    "merged_cells",
    "duplicate_delivery",
    "no_data_rows",
    "total_row",
)
"""Problems are listed in this order first (the first one is the headline), then as the suite found them."""

BATCH_ROWS = 250_000
"""Rows validated at a time, across as many files as fit (a file larger than this is split). Each batch is
one Great Expectations validation, whose fixed cost (about a second for the ledger's suite) is then paid per
batch instead of per file; peak memory follows this, not the size of the folder or of one file
(`benchmarks/bench_ingest.py`)."""

MAX_ROWS_LISTED = 1_000
"""A problem lists at most this many row numbers; its message always gives the full count."""
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 40


def key_column_label(dataset: Dataset) -> str:
    """How a problem names a dataset's key: `transaction_id`, or `school_urn + academic_year + …`."""
    return " + ".join(dataset.unique_key)
