"""Thresholds and lists the quality rules share, in one place and free of Great Expectations."""

from __future__ import annotations

from orchestration.contract import Dataset

MAX_PLAUSIBLE_ANNUAL_COST_GBP = 250_000
"""A single placement above this a year is shown as a warning: possible, but worth a second look."""
MAX_ANNUAL_COST_GBP = 1_000_000
"""…and one above this is refused: no placement costs that much, a total or a typo would reach the pack."""

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

MAX_POSTING_MONTHS_AFTER_PERIOD = 12
"""A ledger line may be posted in its accounting month or up to this many calendar months after it."""

MONTH_TOTAL_MEDIAN_MONTHS = 12
"""A ledger month's total is compared with the median total of at most this many loaded months before it…"""
MIN_MONTH_TOTAL_MEDIAN_MONTHS = 6
"""…and only once at least this many are loaded (a new installation's first months are not judged)."""
MONTH_TOTAL_REFUSED_FACTOR = 5
"""A month more than this many times its median (or under its reciprocal) is refused, unless it reconciles
to its control total."""
MONTH_TOTAL_WARNED_FACTOR = 2
"""A month more than this many times its median (or under half of it) is shown as a warning."""
CONTROL_TOTAL_TOLERANCE_GBP = 1.00
"""A ledger month (or s251 line) may differ from its control total by this much (rounding in the extract)."""

REFERENCED_DATASETS: dict[str, tuple[str, ...]] = {
    "hn_ledger": ("placements", "ledger_control_totals"),
    "forecast_adjustments": ("hn_ledger",),
}
"""Datasets checked against others (a ledger line's placement against the newest snapshot, a ledger month
against its control total, an adjustment against the closed years), which must therefore be loaded first."""

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
