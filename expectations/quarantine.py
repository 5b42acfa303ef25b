"""Keeping a refused file where people can find it, with a report and a letter saying what to fix.

`<home>/quarantine/<YYYYmmdd-HHMMSS>_<file>` is a copy of the refused bytes (the landing folder is never
changed), `…report.json` lists every problem for machines, `….txt` explains them in plain English.
The same unchanged file refused again on a later run is not copied twice: its earlier copy is reused.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

from expectations.report import FileReport, message_path, report_path, safe_json


def _earlier_copy(folder: Path, report: FileReport) -> Path | None:
    if not report.sha256:
        return None
    for existing in sorted(folder.glob(f"*_{report.name}.report.json"), reverse=True):
        try:
            earlier = json.loads(existing.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        copy = existing.with_name(existing.name.removesuffix(".report.json"))
        if earlier.get("sha256") == report.sha256 and copy.exists():
            return copy
    return None


def quarantine_file(quarantine_dir: Path, report: FileReport, source: Path, refused_at: datetime) -> Path:
    """Copy `source` (the bytes that were checked) into quarantine with its report; the copy's path."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = _earlier_copy(quarantine_dir, report)
    if target is None:
        stamp = f"{refused_at:%Y%m%d-%H%M%S}"
        target = quarantine_dir / f"{stamp}_{report.name}"
        suffix = 1
        while target.exists():
            suffix += 1
            target = quarantine_dir / f"{stamp}-{suffix}_{report.name}"
        shutil.copy2(source, target)
    report.quarantined_as = target
    record = {
        **report.to_json(),  # type: ignore[dict-item]
        "refused_at": refused_at.isoformat(timespec="seconds"),
        "quarantined_as": str(target),
        "message": report.message(),
    }
    report_path(target).write_text(
        json.dumps(safe_json(record), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    message_path(target).write_text(report.message(), encoding="utf-8")
    return target
