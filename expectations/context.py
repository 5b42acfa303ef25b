"""What a file is checked against besides itself: the warehouse, its own earlier chunks, and earlier files.

- uniqueness across a file's chunks: the keys of the chunks already read, as 64-bit hashes (8 bytes a row,
  so a million-row file costs 8 MB, not the gigabyte its text would);
- `hn_ledger.transaction_id` unique across all periods: ids already loaded for *other* months (the month a
  file re-delivers is being replaced, so its old ids do not count), plus ids of earlier files of this run
  that are not refused;
- `hn_ledger.placement_id` exists in the newest `placements` snapshot (loaded, or accepted in this run);
- a ledger month's usual spend per s251 line, for the plausibility warning.

The warehouse is only read, through the connection the caller holds (the load's own connection, or a
read-only one for `highneeds check`). Nothing of this run is written until every file has been checked, so
reads always see the warehouse as it was before the run, and files of the run are added here.

Several files are validated together (`gate.py`), so a file's cross-file parameters are computed assuming
the earlier files of its batch will pass; when one of them is refused after all, `refuse` says so and the
gate validates the later files again (`depends_on_earlier_files`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from expectations.frames import ROW_KEY, scoped_keys
from expectations.rules import MIN_USUAL_MONTHS, UNUSUAL_MONTH_FACTOR, USUAL_MONTHS
from orchestration.contract import Dataset, LandingFile


def key_hashes(values: pd.Series) -> np.ndarray:
    """64-bit hashes of non-blank keys (a collision among a million keys: about one chance in 30 million)."""
    present = values.dropna()
    return pd.util.hash_pandas_object(present.astype("str"), index=False).to_numpy()


@dataclass
class FileState:
    """One file of the run: its number, and what its chunks leave for later chunks and later files."""

    landing_file: LandingFile
    number: int
    chunk_keys: list[np.ndarray] = field(default_factory=list)
    """Hashes of each chunk's keys (without the file prefix), in chunk order."""
    placement_ids: set[str] = field(default_factory=set)
    refused: bool = False

    @property
    def month(self) -> str:
        return self.landing_file.extract_month or ""


@dataclass
class ChunkParameters:
    """Values for the suite's `$PARAMETER`s, and notes for the messages (which other file an id is in)."""

    values: dict[str, list[object]]
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str | None, str]] = field(default_factory=list)
    """(rule, column, message) for checks that could not run, shown as warnings."""


PARAMETERS = (
    "keys_in_earlier_chunks",
    "transaction_ids_in_other_deliveries",
    "placement_ids_not_in_newest_snapshot",
)
"""Every `$PARAMETER` the suites use; a batch passes each (empty when the dataset does not use it)."""


class ValidationContext:
    """Cross-chunk and cross-file knowledge for one dataset's files in one run."""

    def __init__(self, dataset: Dataset, connection: duckdb.DuckDBPyConnection | None) -> None:
        self.dataset = dataset
        self.connection = connection
        self.files: list[FileState] = []
        self._keys = _KeyIndex()
        self._accepted_snapshot: tuple[str, set[str], str] | None = None
        self._accepted_spend: list[pd.DataFrame] = []
        self._warehouse_snapshot = self._newest_loaded_snapshot()
        self._warehouse_spend = self._loaded_monthly_spend()

    @property
    def depends_on_earlier_files(self) -> bool:
        """Whether a file's verdict can change when an earlier file of its batch is refused."""
        return self.dataset.name == "hn_ledger"

    # -------------------------------------------------------------------------------- per file and chunk

    def start_file(self, landing_file: LandingFile, number: int) -> FileState:
        state = FileState(landing_file=landing_file, number=number)
        self.files.append(state)
        return state

    def chunk_parameters(self, state: FileState, chunk: int, frame: pd.DataFrame) -> ChunkParameters:
        """Parameters for chunk number `chunk` of a file; remembers the chunk's keys for the chunks after it.

        Calling it again for the same chunk (a batch validated again) gives the same answer.
        """
        # a single key is hashed as delivered, so that files can be compared (the ledger's ids); a compound
        # key through `row_key`, whose file prefix is the same for every chunk of the file
        key = self.dataset.unique_key[0] if len(self.dataset.unique_key) == 1 else ROW_KEY
        hashes = key_hashes(frame[key])
        if chunk == len(state.chunk_keys):
            state.chunk_keys.append(np.unique(hashes))
            self._keys.add(state.chunk_keys[-1], state.number)
        values: dict[str, list[object]] = {name: [] for name in PARAMETERS}
        earlier = state.chunk_keys[:chunk]
        if earlier and len(hashes):
            present = frame[ROW_KEY].dropna()
            values["keys_in_earlier_chunks"] = sorted(set(present[np.isin(hashes, np.concatenate(earlier))]))
        parameters = ChunkParameters(values=values)
        if self.dataset.name == "hn_ledger":
            self._ledger_parameters(state, frame, parameters)
        if self.dataset.name == "placements":
            state.placement_ids.update(frame["placement_id"].dropna().astype("str"))
        return parameters

    def refuse(self, state: FileState) -> None:
        state.refused = True

    def accept(self, state: FileState) -> None:
        """The file passed: later files of this run see it as if it were loaded."""
        if self.dataset.name == "placements":
            newest = self.newest_snapshot_month()
            if newest is None or state.month >= newest:
                self._accepted_snapshot = (state.month, set(state.placement_ids), state.landing_file.name)

    def share_snapshot(self, other: ValidationContext) -> None:
        """Let a ledger context see the placements accepted by the placements context of the same run."""
        if other._accepted_snapshot is not None:
            self._accepted_snapshot = other._accepted_snapshot

    def _earlier_files(self, state: FileState) -> list[FileState]:
        return [f for f in self.files if f.number < state.number and not f.refused]

    # ------------------------------------------------------------------------------------------ ledger

    def _replaced_months(self, state: FileState) -> list[str]:
        """Months whose loaded rows no longer count: this file's, and those of earlier files of the run."""
        return sorted({state.month, *(f.month for f in self._earlier_files(state))})

    def _ledger_parameters(self, state: FileState, frame: pd.DataFrame, parameters: ChunkParameters) -> None:
        ids = frame["transaction_id"].dropna().astype("str")
        used_elsewhere: dict[str, str] = {}
        if self.connection is not None and len(ids) and _table_exists(self.connection, "hn_ledger"):
            chunk_ids = pd.DataFrame({"transaction_id": ids.unique()})
            self.connection.register("quality_chunk_ids", chunk_ids)
            try:
                rows = self.connection.execute(
                    """select l.transaction_id, min(l._source_file)
                       from raw.hn_ledger l join quality_chunk_ids c using (transaction_id)
                       where l._extract_month <> all(?)
                       group by 1""",
                    [self._replaced_months(state)],
                ).fetchall()
            finally:
                self.connection.unregister("quality_chunk_ids")
            used_elsewhere.update(dict(rows))
        if len(ids) and any(f.number < state.number and f.chunk_keys for f in self.files):
            # One sorted lookup against every file's keys at once (a loop over files made a backfill of many
            # months quadratic), then only the matches are sorted out: earlier, not refused, another month.
            earlier = {f.number: f for f in self._earlier_files(state) if f.month != state.month}
            for row, owners in self._keys.owners(key_hashes(ids), other_than=state.number):
                owner = next((o for o in owners if o in earlier), None)
                if owner is not None:
                    used_elsewhere.setdefault(ids.iloc[row], earlier[owner].landing_file.name)
        parameters.values["transaction_ids_in_other_deliveries"] = sorted(
            scoped_keys(state.number, pd.Series(sorted(used_elsewhere), dtype="str"))
        )
        if used_elsewhere:
            files = sorted(set(used_elsewhere.values()))
            parameters.notes["other_files"] = ", ".join(files[:3]) + (
                f" and {len(files) - 3} more" if len(files) > 3 else ""
            )

        placement_ids = frame["placement_id"].dropna().astype("str").unique().tolist()
        snapshot = self.newest_snapshot()
        if snapshot is None:
            # Nothing to check against: accept the ids, and say so once.
            if placement_ids:
                parameters.warnings.append(
                    (
                        "placement_not_checked",
                        "placement_id",
                        "placement_id could not be checked: no placements snapshot is loaded or ready to "
                        "load",
                    )
                )
            return
        month, known, source = snapshot
        parameters.values["placement_ids_not_in_newest_snapshot"] = sorted(set(placement_ids) - known)
        parameters.notes["snapshot"] = f"{source} ({month})" if source else month

    def newest_snapshot_month(self) -> str | None:
        months = [
            m
            for m in (
                self._warehouse_snapshot[0] if self._warehouse_snapshot else None,
                self._accepted_snapshot[0] if self._accepted_snapshot else None,
            )
            if m is not None
        ]
        return max(months) if months else None

    def newest_snapshot(self) -> tuple[str, set[str], str] | None:
        """(month, placement ids, file) of the newest placements snapshot known to this run."""
        if self._accepted_snapshot is not None and (
            self._warehouse_snapshot is None or self._accepted_snapshot[0] >= self._warehouse_snapshot[0]
        ):
            return self._accepted_snapshot
        return self._warehouse_snapshot

    def _newest_loaded_snapshot(self) -> tuple[str, set[str], str] | None:
        if self.dataset.name != "hn_ledger" or self.connection is None:
            return None
        if not _table_exists(self.connection, "placements"):
            return None
        month = self.connection.execute("select max(_extract_month) from raw.placements").fetchall()[0][0]
        if month is None:
            return None
        rows = self.connection.execute(
            "select distinct placement_id, _source_file from raw.placements where _extract_month = ?", [month]
        ).fetchall()
        return month, {row[0] for row in rows if row[0] is not None}, (rows[0][1] if rows else "")

    def _loaded_monthly_spend(self) -> pd.DataFrame:
        columns = ["period", "s251_line", "spend_gbp", "_extract_month"]
        if self.dataset.name != "hn_ledger" or self.connection is None:
            return pd.DataFrame(columns=columns)
        if not _table_exists(self.connection, "hn_ledger"):
            return pd.DataFrame(columns=columns)
        return self.connection.execute(
            """select period, s251_line, sum(amount_gbp)::double as spend_gbp, _extract_month
               from raw.hn_ledger group by all"""
        ).df()[columns]

    def _usual_monthly_spend(self, state: FileState, summary: pd.DataFrame) -> pd.Series:
        """For each (period, s251_line) of a file: the line's median month over up to 12 earlier months.

        Months come from deliveries other than the ones being replaced; NA where there are fewer than 3.
        """
        history = pd.concat([self._warehouse_spend, *self._accepted_spend], ignore_index=True)
        if history.empty or summary.empty:
            return pd.Series(np.nan, index=summary.index, dtype="float64")
        history = history[~history["_extract_month"].isin(self._replaced_months(state))]
        by_month = history.groupby(["s251_line", "period"])["spend_gbp"].sum().sort_index()
        months_by_line = {
            line: (spend.index.get_level_values("period").to_numpy(), spend.to_numpy(dtype="float64"))
            for line, spend in by_month.groupby(level="s251_line")
        }
        usual = []
        for period, line in zip(summary["period"], summary["s251_line"], strict=True):
            periods, spend = months_by_line.get(line, (np.empty(0, dtype=object), np.empty(0)))
            earlier = spend[: np.searchsorted(periods, period)][-USUAL_MONTHS:]
            usual.append(float(np.median(earlier)) if len(earlier) >= MIN_USUAL_MONTHS else np.nan)
        return pd.Series(usual, index=summary.index, dtype="float64")

    def file_summary_parameters(self, state: FileState, summary: pd.DataFrame) -> pd.DataFrame:
        """Add what the file-level rules compare against (the ledger's usual monthly spend).

        Called for the run's files in order, after their rows were validated: a file whose rows passed adds
        its spend to the history the later files are compared with.
        """
        if self.dataset.name != "hn_ledger":
            return summary
        summary = summary.copy()
        summary["usual_monthly_spend_gbp"] = self._usual_monthly_spend(state, summary)
        usual = summary["usual_monthly_spend_gbp"]
        summary["unusual_above_gbp"] = usual.where(usual > 0) * UNUSUAL_MONTH_FACTOR
        if not state.refused and not summary.empty:
            spend = summary[["period", "s251_line", "spend_gbp"]].copy()
            spend["_extract_month"] = state.month
            self._accepted_spend.append(spend)
        return summary


class _KeyIndex:
    """Key hashes of every chunk of the run and the file each came from, for "is this id in another file?".

    Kept as a few sorted runs, merged like a binary counter (a run is merged into the one before it once
    it is as long), so adding chunk after chunk costs O(n log n) in all and a lookup searches a few runs.
    Chunks are only indexed when a lookup needs them: checking one file alone builds no index at all.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._waiting: list[tuple[np.ndarray, int]] = []

    def add(self, hashes: np.ndarray, owner: int) -> None:
        self._waiting.append((hashes, owner))

    def _index_waiting(self) -> None:
        for hashes, owner in self._waiting:
            order = np.argsort(hashes, kind="stable")
            self._runs.append((hashes[order], np.full(len(hashes), owner, dtype=np.int32)))
            while len(self._runs) > 1 and len(self._runs[-1][0]) >= len(self._runs[-2][0]):
                (a, a_owners), (b, b_owners) = self._runs.pop(-2), self._runs.pop()
                merged, owners = np.concatenate((a, b)), np.concatenate((a_owners, b_owners))
                order = np.argsort(merged, kind="stable")
                self._runs.append((merged[order], owners[order]))
        self._waiting = []

    def owners(self, hashes: np.ndarray, other_than: int) -> list[tuple[int, list[int]]]:
        """(position in `hashes`, files holding it) for each hash found in a file other than `other_than`."""
        self._index_waiting()
        found: dict[int, list[int]] = {}
        for run, owners in self._runs:
            if not len(run):
                continue
            first = np.searchsorted(run, hashes, side="left")
            last = np.searchsorted(run, hashes, side="right")
            single = (last - first == 1) & (owners[np.minimum(first, len(run) - 1)] != other_than)
            for row in np.flatnonzero(single | (last - first > 1)):
                holders = [int(o) for o in owners[first[row] : last[row]] if o != other_than]
                if holders:
                    found.setdefault(int(row), []).extend(holders)
        return sorted(found.items())


def _table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [table],
    ).fetchall()
    return bool(found[0][0])
