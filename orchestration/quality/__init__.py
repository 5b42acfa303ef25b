"""The data quality gate: where a bad landing file is stopped.

A landing file is read in chunks (`parsing/reading.py`), typed (`conform.py`), and checked against its
dataset's Great Expectations suite (`expectations/suites.py`) chunk by chunk, then once more on a small
file-level summary (totals, monthly spend). What the suites find becomes `Problem`s a finance officer can
act on (`report.py`); a file with an error is copied to `<home>/quarantine/` with its report
(`quarantine.py`) and not loaded, while the warehouse keeps what it had.

Nothing here imports Great Expectations at module level: it takes seconds to import, and the Dagster
definitions and `highneeds --help` must load without it.
"""
