"""The pseudonym key is never silently replaced: the warehouse keeps its fingerprint, a wrong or missing key
is refused before anything changes, and a new key is an explicit, logged choice.

Finding reproduced (issue 16, item 3): with no `HIGHNEEDS_PSEUDONYM_KEY` and the key file deleted, the next
run used to make a new key, and every child came back under a second pseudonym while the run "succeeded".
"""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.pseudonym_key import (
    FINGERPRINT_TABLE,
    KEY_LOG_NAME,
    PseudonymKeyRefused,
    checked_pseudonym_key,
)
from orchestration.settings import PSEUDONYM_KEY_ENV, Settings
from tests.support.landing import make_upn, placement, write_landing_csv
from tests.support.pipeline import query

UPN = make_upn(916, 2001, 12, 1)
EXPECTED_FINGERPRINT_LABEL = b"highneeds pseudonym key fingerprint"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A home whose warehouse holds one child, pseudonymised with a key file made on the first load."""
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    landing = tmp_path / "landing"
    write_landing_csv(
        landing,
        "placements",
        [placement("P1", UPN, "special_maintained", "2023-09-01", None, "21000.00")],
        month="2024-01",
    )
    settings = Settings(home=tmp_path / "home", landing=landing)
    load_landing_dataset(settings, DATASETS["placements"])
    return settings


def _fingerprints(settings: Settings) -> list[tuple[str, str]]:
    rows = query(settings, f"select fingerprint, reason from {FINGERPRINT_TABLE} order by recorded_at, rowid")
    return list(rows.itertuples(index=False, name=None))


def _cli_without_key(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if name != PSEUDONYM_KEY_ENV}
    return subprocess.run(
        [str(Path(sys.executable).parent / "highneeds"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        env=environment,
    )


def test_the_warehouse_records_an_hmac_of_a_fixed_label_under_the_key_and_never_the_key(
    settings: Settings,
) -> None:
    key = settings.key_file.read_text().strip().encode()
    expected = hmac.new(key, EXPECTED_FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
    assert _fingerprints(settings) == [(expected, "first key, made for this warehouse")]
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        every_table = connection.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
        for schema, table in every_table:
            text = connection.execute(
                f'select string_agg(cast(t as varchar), \'\') from "{schema}"."{table}" t'
            )
            assert key.decode() not in (text.fetchone()[0] or "")


def test_a_run_whose_key_file_was_deleted_is_refused_with_exit_2_and_changes_nothing(
    settings: Settings,
) -> None:
    settings.key_file.unlink()
    warehouse_before = hashlib.sha256(settings.warehouse.read_bytes()).hexdigest()

    refused = _cli_without_key("run", "--landing", str(settings.landing), "--home", str(settings.home))

    assert refused.returncode == 2
    paragraph = refused.stderr.strip()
    assert "\n" not in paragraph
    assert paragraph.startswith("The pseudonym key is missing")
    assert f"set {PSEUDONYM_KEY_ENV} to the value kept in your secrets store" in paragraph
    assert f"restore {settings.key_file} from your backup" in paragraph
    assert "nothing was changed" in paragraph
    assert not settings.key_file.exists()
    assert hashlib.sha256(settings.warehouse.read_bytes()).hexdigest() == warehouse_before
    assert not settings.backups_dir.exists() or not any(settings.backups_dir.iterdir())


def test_a_load_with_a_different_key_is_refused_and_the_child_keeps_their_pseudonym(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    pseudonyms_before = query(settings, "select pupil_pseudonym from raw.placements").pupil_pseudonym.tolist()
    write_landing_csv(
        settings.landing,
        "placements",
        [placement("P1", UPN, "special_maintained", "2023-09-01", None, "21000.00")],
        month="2024-02",
    )
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "a-different-key")

    with pytest.raises(PseudonymKeyRefused, match="The pseudonym key does not match"):
        load_landing_dataset(settings, DATASETS["placements"])

    after = query(settings, "select _extract_month, pupil_pseudonym from raw.placements")
    assert after.values.tolist() == [["2024-01", pseudonyms_before[0]]]


def test_new_pseudonym_key_makes_a_key_records_it_and_logs_it_and_the_next_load_accepts_it(
    settings: Settings,
) -> None:
    old_fingerprint = _fingerprints(settings)[0][0]
    settings.key_file.unlink()

    new_key = checked_pseudonym_key(settings, allow_new_key=True)

    assert settings.key_file.read_text().strip().encode() == new_key
    new_fingerprint = hmac.new(new_key, EXPECTED_FINGERPRINT_LABEL, hashlib.sha256).hexdigest()
    assert _fingerprints(settings) == [
        (old_fingerprint, "first key, made for this warehouse"),
        (new_fingerprint, "new key made with --new-pseudonym-key"),
    ]
    logged = (settings.home / "logs" / KEY_LOG_NAME).read_text()
    assert f"fingerprint {new_fingerprint[:12]} replaces {old_fingerprint[:12]}" in logged
    assert checked_pseudonym_key(settings) == new_key


def test_a_warehouse_made_before_fingerprints_adopts_the_key_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir()
    with duckdb.connect(str(settings.warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.placements as select 'abc123' as pupil_pseudonym")
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "the-key-in-use")

    checked_pseudonym_key(settings)

    reasons = [reason for _, reason in _fingerprints(settings)]
    assert reasons == ["key in use adopted: the warehouse was made before fingerprints were kept"]


def test_a_warehouse_made_before_fingerprints_whose_key_file_was_lost_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir()
    with duckdb.connect(str(settings.warehouse)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw.placements as select 'abc123' as pupil_pseudonym")

    with pytest.raises(PseudonymKeyRefused, match="The pseudonym key is missing"):
        checked_pseudonym_key(settings)
    assert not settings.key_file.exists()
