"""The demo county's `highneeds.yaml`: LA 916 (Gloucestershire's published figures) and its neighbours.

`highneeds demo` writes it into the home folder it is given, so `highneeds run --home HOME` on the demo
compares the county with the same ten LAs every time, whatever the computed neighbours would be.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.config import DEMO_LA_CODE, starter_config

GLOUCESTERSHIRE_NEIGHBOURS = (885, 937, 865, 933, 878, 931, 938, 855, 860, 873)
"""Worcestershire, Warwickshire, Wiltshire, Somerset, Devon, Oxfordshire, West Sussex, Leicestershire,
Staffordshire, Cambridgeshire."""

GLOUCESTERSHIRE_NEIGHBOURS_NOTE = (
    "Judgement selection of ten shire counties similar to Gloucestershire in size (2-18 population "
    "100,000-175,000; Gloucestershire 125,867, ONS mid-2021 projection), rurality and deprivation: nine "
    "two-tier county councils and Wiltshire, the county-wide unitary next door. Not DfE's published "
    "statistical neighbour list, which could not be checked offline."
)

DEMO_CONFIG_MARKER = (
    "Written by `highneeds demo`, which rewrites this file: delete this line to keep your own edits."
)


def demo_config_text(columns: dict[str, dict[str, str]] | None = None) -> str:
    """The demo's configuration file; `columns` maps headers for a demo written with local headers."""
    return starter_config(
        DEMO_LA_CODE,
        statistical_neighbours=GLOUCESTERSHIRE_NEIGHBOURS,
        statistical_neighbours_note=GLOUCESTERSHIRE_NEIGHBOURS_NOTE,
        columns=columns,
        written_by=DEMO_CONFIG_MARKER,
    )


def write_demo_config(path: Path, columns: dict[str, dict[str, str]] | None = None) -> bool:
    """Write the demo's configuration to `path`; False (file left alone) when a file there is not the demo's.

    A file without the demo's first-line marker was written or edited by someone: replacing it would lose
    their LA code or header mapping, so it is kept and the caller says so.
    """
    text = demo_config_text(columns)
    if path.exists() and DEMO_CONFIG_MARKER not in path.read_text(encoding="utf-8"):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
