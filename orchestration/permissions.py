"""Owner-only files under home: it holds children's records, the key and an OFFICIAL-SENSITIVE workbook.

Two layers, because neither is enough alone: the process umask makes everything the platform (and the
dbt and Dagster processes it starts) creates owner-only from the start, whatever the login's umask; and a
sweep after each run tightens what a umask cannot reach — copies that keep their source's mode
(`shutil.copy2` of a landing file) and homes made by earlier versions.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

OWNER_ONLY_UMASK = 0o077
OWNER_ONLY_DIRECTORY = 0o700
OWNER_ONLY_FILE = 0o600


def create_owner_only() -> None:
    """From now on this process and its children create files 0600 and folders 0700."""
    os.umask(OWNER_ONLY_UMASK)


def restrict_to_owner(home: Path) -> None:
    """Make home and everything under it owner-only; symbolic links are left alone, never followed."""
    if not home.is_dir():
        return
    home.chmod(OWNER_ONLY_DIRECTORY)
    for folder, subfolders, files in os.walk(home):
        for names, mode in ((subfolders, OWNER_ONLY_DIRECTORY), (files, OWNER_ONLY_FILE)):
            for name in names:
                path = os.path.join(folder, name)
                # a file another process removes meanwhile (Dagster's scratch files) needs no mode
                with contextlib.suppress(FileNotFoundError):
                    if not os.path.islink(path):
                        os.chmod(path, mode)
