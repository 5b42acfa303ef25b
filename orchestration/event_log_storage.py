"""Dagster's SQLite event log, with one open connection per database instead of one per event.

A monthly run logs about 4,000 Dagster events (a planned and a finished event for every dbt test, every
month of the monthly datasets, every model). Dagster's stock SQLite storage opens a new SQLAlchemy engine
and SQLite connection for every event and syncs the file to disk at every commit: measured here, 13 ms
an event, 53 s of a three-minute run. This storage keeps each database's connection open for the life of
the process and commits in WAL mode with `synchronous=NORMAL` (SQLite's recommended setting for WAL: a
crash of the process loses nothing; a power cut can lose the last events, never corrupt the file).

The files, their schema and where they live are Dagster's own (one database per run plus `index.db` under
`<home>/dagster/history/runs`), so the UI, the daemon and older homes read them unchanged. `dagster.yaml`
names this class and that folder (`orchestration/instance.py`); the class is found by import, as Dagster
finds its own.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import create_db_conn_string
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_SECONDS = 30
"""How long a write waits for another process (the UI, the daemon) to finish its own."""
OPEN_DATABASES = 8
"""Databases kept open at once (the index and the runs last used); the UI reading many runs' logs closes
the least recently used rather than holding a file open per run."""


def _tune(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose databases each keep one engine and connection open.

    Every use of a connection already holds the storage's lock (`_db_lock`), so one connection per
    database is never used by two threads at once.
    """

    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._engines: OrderedDict[str, sqlalchemy.engine.Engine] = OrderedDict()
        self._tables_present: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> KeptOpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sqlalchemy.engine.Engine:
        engine = self._engines.get(shard)
        if engine is not None:
            self._engines.move_to_end(shard)
        else:
            engine = create_engine(
                create_db_conn_string(self._base_dir, shard),
                poolclass=StaticPool,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            sqlalchemy.event.listen(engine, "connect", _tune)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            self._engines[shard] = engine
            while len(self._engines) > OPEN_DATABASES:
                self._engines.popitem(last=False)[1].dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sqlalchemy.engine.Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def _close_all(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def has_table(self, table_name: str) -> bool:
        """Whether the index database has the table, asked of it until the answer is yes.

        Dagster asks before storing every asset check result (`supports_asset_checks`), each time through
        a new engine and connection: 1.4 s of a county run's 547 dbt results. A table is never dropped
        while the storage is in use (a wipe forgets the answers).
        """
        if table_name not in self._tables_present and super().has_table(table_name):
            self._tables_present.add(table_name)
        return table_name in self._tables_present

    def wipe(self) -> None:
        self._close_all()  # the files are deleted: no connection may outlive them
        self._tables_present.clear()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()
