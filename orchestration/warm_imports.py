"""Import the libraries the run's last assets need while dbt builds, on the core dbt leaves idle.

dbt runs in its own process and mostly keeps one core busy; the Dagster process only waits for its events.
The impact estimates, the projection and the pack then start by importing scipy, statsmodels, matplotlib
and reportlab — about 3.5 seconds of a county run spent in imports after dbt. Importing them in a
background thread during the build takes those seconds off the run's critical path. The thread is joined
before the dbt asset finishes, so nothing of it runs beside the next asset.

Only what the run's selection will use is imported (a month that changes no school outcome does not
import the impact estimators). A module that fails to import is left alone here: the asset that needs it
imports it again and reports the error where it belongs.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Collection, Iterable, Iterator

MODULES_FOR_ASSET: dict[tuple[str, ...], tuple[str, ...]] = {
    ("marts", "impact_estimates"): (
        "analyses.evaluation",
        "orchestration.impact_metadata",
        "matplotlib.figure",
        "matplotlib.backends.backend_agg",
    ),
    ("marts", "hn_projection"): (
        "analyses.projection",
        "statsmodels.tsa.exponential_smoothing.ets",
        "matplotlib.figure",
    ),
    ("reports", "schools_forum_pack"): ("orchestration.reports.pack", "orchestration.ingest"),
}
"""The asset keys (as paths) whose first step imports these modules."""


def modules_for(asset_paths: Iterable[tuple[str, ...]] | None) -> list[str]:
    """The modules the selected assets will import, each once, in a stable order (all when None)."""
    paths = MODULES_FOR_ASSET if asset_paths is None else set(asset_paths)
    wanted: dict[str, None] = {}
    for path, modules in MODULES_FOR_ASSET.items():
        if path in paths:
            wanted.update(dict.fromkeys(modules))
    return list(wanted)


def _import_all(modules: Collection[str]) -> None:
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


@contextlib.contextmanager
def imports_warmed_meanwhile(modules: Collection[str]) -> Iterator[None]:
    """Import `modules` in a background thread while the block runs; wait for it at the end."""
    thread = threading.Thread(target=_import_all, args=(modules,), name="warm-imports", daemon=True)
    if modules:
        thread.start()
    try:
        yield
    finally:
        if modules:
            thread.join()
