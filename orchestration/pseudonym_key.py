"""The pseudonym key, checked against the fingerprint of it that the warehouse keeps.

A child's pseudonym is an HMAC of their UPN under this key, so a child keeps one pseudonym only while the
key stays the same: a lost key file silently replaced by a new one splits every child in two. So the
warehouse records a fingerprint of the key — an HMAC of a fixed label under it, which identifies the key
without revealing it — and a load whose key is missing or different is refused, with how to restore it.
Starting a new key for a warehouse that already has one is an explicit choice (`--new-pseudonym-key`),
recorded in the warehouse and in `<home>/logs/pseudonym-key.log`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.progress import PROGRESS_LOGGER
from orchestration.refusal import RefusedToStart
from orchestration.settings import PSEUDONYM_KEY_ENV
from orchestration.warehouse import connect

if TYPE_CHECKING:
    from orchestration.settings import Settings

FINGERPRINT_TABLE = "raw._pseudonym_key_fingerprints"
_FINGERPRINT_LABEL = b"highneeds pseudonym key fingerprint"
KEY_LOG_NAME = "pseudonym-key.log"


class PseudonymKeyRefused(RefusedToStart):
    """The key is missing or is not the one the warehouse's pseudonyms were made with."""


def key_fingerprint(key: bytes) -> str:
    """Names the key without revealing it: an HMAC of a fixed label (never a UPN) under the key."""
    return hmac.new(key, _FINGERPRINT_LABEL, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class KeyState:
    """What the warehouse says: the latest recorded key fingerprint, and whether it holds pseudonyms."""

    fingerprint: str | None
    holds_pseudonyms: bool


def read_key_state(warehouse: Path) -> KeyState:
    """The recorded fingerprint, and whether any raw table holds a pseudonym (read-only, closed after)."""
    if not warehouse.exists():
        return KeyState(fingerprint=None, holds_pseudonyms=False)
    schema, table = FINGERPRINT_TABLE.split(".")
    with connect(warehouse, read_only=True) as connection:
        recorded = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
        fingerprint = None
        if recorded:
            newest = connection.execute(
                f"select fingerprint from {FINGERPRINT_TABLE} order by recorded_at desc, rowid desc limit 1"
            ).fetchone()
            fingerprint = newest[0] if newest else None
        tables_with_pseudonyms = connection.execute(
            "select table_name from information_schema.columns"
            " where table_schema = 'raw' and column_name = 'pupil_pseudonym'"
        ).fetchall()
        holds = any(
            connection.execute(
                f'select exists (select 1 from raw."{name}" where pupil_pseudonym is not null)'
            ).fetchone()[0]
            for (name,) in tables_with_pseudonyms
        )
    return KeyState(fingerprint=fingerprint, holds_pseudonyms=holds)


def configured_key(settings: Settings) -> tuple[bytes | None, str]:
    """The key the installation gives, and where from: the environment first, then the key file."""
    from_env = os.environ.get(PSEUDONYM_KEY_ENV)
    if from_env:  # used exactly as given, as it always was: any change would change every pseudonym
        return from_env.encode("utf-8"), PSEUDONYM_KEY_ENV
    if settings.key_file.is_file():
        from_file = settings.key_file.read_text().strip()
        if from_file:
            return from_file.encode("utf-8"), str(settings.key_file)
    return None, f"{PSEUDONYM_KEY_ENV} or {settings.key_file}"


@dataclass(frozen=True)
class KeyDecision:
    """What to do with the key before anything is written; made without changing anything."""

    key: bytes | None
    """None: no key is configured, and a new key file is to be made."""
    record_reason: str | None = None
    """Why a fingerprint is to be recorded (none recorded yet, or a new key); None: it matches already."""
    new_key: bool = False
    """A key different from the recorded one, chosen with `--new-pseudonym-key`: said and logged."""


def _what_to_do_if_lost(settings: Settings) -> str:
    home = settings.home
    return (
        "Only if the key is lost for good: `highneeds rebuild --home "
        f"{home} --new-pseudonym-key` pseudonymises every archived file again under a new key (each child "
        f"keeps one pseudonym), while `highneeds run --landing DIR --home {home} --new-pseudonym-key` starts "
        "a new key for new files only (children loaded before will not link to those loaded after)."
    )


def _refusal(settings: Settings, state: KeyState, key: bytes | None, source: str) -> PseudonymKeyRefused:
    recorded = f"the key whose fingerprint starts {state.fingerprint[:12]}" if state.fingerprint else "a key"
    if key is None:
        problem = (
            f"The pseudonym key is missing: the warehouse {settings.warehouse} holds children pseudonymised "
            f"with {recorded}, but neither {PSEUDONYM_KEY_ENV} nor {settings.key_file} gives a key, and a "
            "new key"
        )
    else:
        problem = (
            f"The pseudonym key does not match: the warehouse {settings.warehouse} holds children "
            f"pseudonymised with {recorded}, but the key in {source} has the fingerprint "
            f"{key_fingerprint(key)[:12]}, and loading with it"
        )
    return PseudonymKeyRefused(
        f"{problem} would give every child already loaded a second, unlinked pseudonym, so nothing was "
        "started and nothing was changed. Restore the key and run "
        f"again: set {PSEUDONYM_KEY_ENV} to the value kept in your secrets store, or restore "
        f"{settings.key_file} from your backup of the home folder. {_what_to_do_if_lost(settings)}"
    )


def decide_pseudonym_key(settings: Settings, state: KeyState, allow_new_key: bool = False) -> KeyDecision:
    """Accept the configured key, or refuse it (`PseudonymKeyRefused`), without changing anything."""
    key, source = configured_key(settings)
    if state.fingerprint is None:
        if key is None and state.holds_pseudonyms and not allow_new_key:
            # a warehouse older than fingerprints whose key file was lost: the very case this guards
            raise _refusal(settings, state, key, source)
        if key is None:
            reason = "first key, made for this warehouse"
        elif state.holds_pseudonyms:
            reason = "key in use adopted: the warehouse was made before fingerprints were kept"
        else:
            reason = "first key used with this warehouse"
        return KeyDecision(key=key, record_reason=reason, new_key=key is None and state.holds_pseudonyms)
    if key is not None and hmac.compare_digest(key_fingerprint(key), state.fingerprint):
        return KeyDecision(key=key)
    if not allow_new_key:
        raise _refusal(settings, state, key, source)
    origin = "made" if key is None else f"taken from {source}"
    return KeyDecision(key=key, record_reason=f"new key {origin} with --new-pseudonym-key", new_key=True)


def make_key_file(settings: Settings) -> bytes:
    settings.home.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(settings.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(32))
    return settings.key_file.read_text().strip().encode("utf-8")


def record_fingerprint(warehouse: Path, key: bytes, reason: str) -> None:
    """Add the key's fingerprint to the warehouse's history of keys (the newest row is the key in force)."""
    schema = FINGERPRINT_TABLE.split(".")[0]
    with connect(warehouse) as connection:
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            f"create table if not exists {FINGERPRINT_TABLE}"
            " (fingerprint varchar, recorded_at timestamp, reason varchar)"
        )
        connection.execute(
            f"insert into {FINGERPRINT_TABLE} values (?, ?, ?)",
            [key_fingerprint(key), datetime.now().replace(microsecond=0), reason],
        )


def log_new_key(settings: Settings, previous: str | None, key: bytes, reason: str) -> None:
    message = (
        f"NEW PSEUDONYM KEY: {reason}; fingerprint {key_fingerprint(key)[:12]} replaces "
        f"{(previous or 'none')[:12]}. Children loaded before now will not link to those loaded from now on."
    )
    logging.getLogger(PROGRESS_LOGGER).warning(message)
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / KEY_LOG_NAME).open("a", encoding="utf-8") as log:
        log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {message}\n")


def apply_key_decision(settings: Settings, decision: KeyDecision, previous: str | None = None) -> bytes:
    """Make the key file if one is due, record the fingerprint if due, log a new key; returns the key."""
    key = decision.key if decision.key is not None else make_key_file(settings)
    if decision.record_reason:
        record_fingerprint(settings.warehouse, key, decision.record_reason)
    if decision.new_key:
        log_new_key(settings, previous, key, decision.record_reason or "new key")
    return key


def checked_pseudonym_key(settings: Settings, allow_new_key: bool = False) -> bytes:
    """The key to pseudonymise with, once it is known to match the warehouse (see the module's docstring)."""
    state = read_key_state(settings.warehouse)
    decision = decide_pseudonym_key(settings, state, allow_new_key)
    return apply_key_decision(settings, decision, previous=state.fingerprint)
