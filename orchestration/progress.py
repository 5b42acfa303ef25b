"""Progress lines for long work, shown by the CLI and kept in the Dagster event log.

Assets report through one named Python logger; the CLI attaches a handler that prints to the terminal,
while Dagster's own console logger is kept quiet so the terminal shows a readable story, not events.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Dagster takes seconds to import: commands that refuse to start say so at once
    import dagster as dg

PROGRESS_LOGGER = "highneeds.progress"


def report(context: dg.AssetExecutionContext | dg.OpExecutionContext | None, message: str) -> None:
    """Say what is happening, to the terminal (via the CLI's handler) and to the Dagster UI."""
    logging.getLogger(PROGRESS_LOGGER).info(message)
    if context is not None:
        context.log.info(message)


def say(message: str) -> None:
    """A progress line outside any Dagster step (a command's own preparation), to the terminal."""
    report(None, message)
