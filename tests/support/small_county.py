"""A tiny landing folder with children in it: reference files, two placements snapshots, three ledger months.

Small enough for a whole `highneeds run` in a test, with pseudonyms in the warehouse (so the key matters),
a month replaced by a later delivery, and every mart the run builds.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.landing import (
    ledger_line,
    make_upn,
    placement,
    write_landing_csv,
    write_minimal_reference_files,
)

UPNS = [make_upn(916, 2000 + n, 12, n) for n in range(4)]


def write_small_county(folder: Path) -> None:
    write_minimal_reference_files(folder)
    for month, children in (("2023-04", 3), ("2023-06", 4)):
        write_landing_csv(
            folder,
            "placements",
            [
                placement(f"P{n}", UPNS[n], "special_maintained", "2022-09-01", None, f"{20000 + n * 500}.00")
                for n in range(children)
            ],
            month=month,
        )
    for month in ("2023-04", "2023-05", "2023-06"):
        write_landing_csv(
            folder,
            "hn_ledger",
            [
                ledger_line(f"T{month}-{n}", month, "1.2.3", "1500.00", "special_maintained", f"P{n}")
                for n in range(3)
            ],
            month=month,
        )
