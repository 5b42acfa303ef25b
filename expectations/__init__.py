"""The quality gate: where a bad landing file is stopped, before anything is loaded.

One entry point, `gate.check_dataset_files`: every new file of a dataset is read through the installation's
header map (`orchestration/parsing/`), typed (`conform.py`), laid out for the suites (`frames.py`) and
validated against its dataset's Great Expectations suite (`suites.py`, run by `runner.py`) in batches of many
files at once, with what it must agree with outside itself in `context.py`. What the suites find becomes
`Problem`s a finance officer can act on (`report.py`); a refused file is copied to `<home>/quarantine/` with
its report (`quarantine.py`) and not loaded, while the warehouse keeps what it had. `folder.py` sorts the
landing folder (files, links and strays never followed, names ignored with the reason) and is
`highneeds check`. The loader (`orchestration/ingest.py`) calls the gate; the gate never calls the loader.

Only `suites.py`, `custom.py` and `runner.py` import Great Expectations, and nothing imports them at module
level: it takes seconds to import, and the Dagster definitions and `highneeds --help` must load without it.
"""
