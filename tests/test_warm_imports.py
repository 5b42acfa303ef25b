"""While dbt builds, the run imports what its later assets need, and only that."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from orchestration.warm_imports import MODULES_FOR_ASSET, imports_warmed_meanwhile, modules_for


def test_only_the_selected_assets_modules_are_warmed_each_once() -> None:
    assert modules_for([("marts", "hn_projection")]) == [
        "analyses.projection",
        "statsmodels.tsa.exponential_smoothing.ets",
        "matplotlib.figure",
    ]
    both = modules_for([("marts", "hn_projection"), ("marts", "impact_estimates")])
    assert "analyses.evaluation" in both and len(both) == len(set(both))
    assert modules_for([("marts", "spend_by_provision_type")]) == []
    everything = {module for modules in MODULES_FOR_ASSET.values() for module in modules}
    assert set(modules_for(None)) == everything


def test_modules_are_imported_in_another_thread_and_done_when_the_block_ends(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "warm_probe.py").write_text(
        "import threading\nIMPORTED_IN = threading.current_thread().name\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "warm_probe", raising=False)
    with imports_warmed_meanwhile(["warm_probe", "no_such_module_anywhere"]):
        pass
    assert sys.modules["warm_probe"].IMPORTED_IN == "warm-imports"
    assert threading.current_thread().name != "warm-imports"
