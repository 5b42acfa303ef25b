"""Everything under home is owner-only (folders 0700, files 0600), whatever the umask.

Finding reproduced (issue 16, item 6): `archive/`, `warehouse.duckdb` and the OFFICIAL-SENSITIVE workbook
were world-readable under umask 022.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from orchestration.permissions import restrict_to_owner


def _modes(home: Path) -> dict[str, int]:
    return {
        str(path.relative_to(home)): stat.S_IMODE(path.lstat().st_mode)
        for path in [home, *home.rglob("*")]
        if not path.is_symlink()
    }


def test_restricting_home_makes_every_folder_0700_and_every_file_0600_and_leaves_links_alone(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "shared-drive.csv"
    outside.write_text("a landing file on a shared drive\n")
    outside.chmod(0o644)
    home = tmp_path / "home"
    (home / "archive" / "placements").mkdir(parents=True)
    (home / "archive" / "placements" / "abc_placements_2024-01.csv").write_text("upn\n")
    (home / "reports").mkdir(mode=0o755)
    (home / "reports" / "high_needs_finance_2024-01_OFFICIAL-SENSITIVE.xlsx").write_bytes(b"PK")
    for path in home.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (home / "reports" / "link-to-outside").symlink_to(outside)

    restrict_to_owner(home)

    assert _modes(home) == {
        ".": 0o700,
        "archive": 0o700,
        "archive/placements": 0o700,
        "archive/placements/abc_placements_2024-01.csv": 0o600,
        "reports": 0o700,
        "reports/high_needs_finance_2024-01_OFFICIAL-SENSITIVE.xlsx": 0o600,
    }
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644


def test_a_command_creates_owner_only_files_even_when_started_under_umask_022(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from orchestration.permissions import create_owner_only; "
        "create_owner_only(); folder = Path(sys.argv[1]) / 'made'; folder.mkdir(); "
        "(folder / 'f').write_text('x')"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], check=True, preexec_fn=lambda: os.umask(0o022)
    )

    assert _modes(tmp_path / "made") == {".": 0o700, "f": 0o600}
