"""What a file is checked against besides itself: the warehouse, earlier chunks, and earlier files of the run.

- uniqueness across chunks: the keys of the chunks already read, as 64-bit hashes (8 bytes a row, so a
  million-row file costs 8 MB, not the gigabyte its text would);
- `hn_ledger.transaction_id` unique across all periods: ids already loaded for *other* months (the month a
  file re-delivers is being replaced, so its old ids do not count), plus ids of files accepted earlier in
  this run;
- `hn_ledger.placement_id` exists in the newest `placements` snapshot (loaded, or accepted in this run);
- a ledger month's usual spend per s251 line, for the plausibility warning.

The warehouse is only read, through the connection the caller holds (the load's own transaction, or a
read-only one for `highneeds check`). Nothing of this run is written until every file has been checked, so
reads always see the warehouse as it was before the run, and files accepted during the run are added here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from orchestration.contract import Dataset, LandingFile
from orchestration.quality.frames import key_column
from orchestration.quality.rules import MIN_USUAL_MONTHS, UNUSUAL_MONTH_FACTOR, USUAL_MONTHS


def key_hashes(values: pd.Series) -> np.ndarray:
    """64-bit hashes of non-blank keys (a collision among a million keys: about one chance in 30 million)."""
    present = values.dropna()
    return pd.util.hash_pandas_object(present.astype("str"), index=False).to_numpy()


@dataclass
class FileState:
    """What one file's earlier chunks leave for the later ones, and for the run once the file is accepted."""

    landing_file: LandingFile
    key_hashes: list[np.ndarray] = field(default_factory=list)
    placement_ids: set[str] = field(default_factory=set)
    monthly_spend: pd.DataFrame | None = None


@dataclass
class ChunkParameters:
    """Values for the suite's `$PARAMETER`s, and notes for the messages (which other file an id is in)."""

    values: dict[str, list[object]]
    notes: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str | None, str]] = field(default_factory=list)
    """(rule, column, message) for checks that could not run, shown as warnings."""


@dataclass
class _AcceptedFile:
    name: str
    month: str
    key_hashes: np.ndarray


class ValidationContext:
    """Cross-chunk and cross-file knowledge for one dataset's files in one run."""

    def __init__(self, dataset: Dataset, connection: duckdb.DuckDBPyConnection | None) -> None:
        self.dataset = dataset
        self.connection = connection
        self._accepted: list[_AcceptedFile] = []
        self._accepted_snapshot: tuple[str, set[str], str] | None = None
        self._accepted_spend: list[pd.DataFrame] = []
        self._warehouse_snapshot = self._newest_loaded_snapshot()
        self._warehouse_spend = self._loaded_monthly_spend()

    # -------------------------------------------------------------------------------- per file and chunk

    def start_file(self, landing_file: LandingFile) -> FileState:
        return FileState(landing_file=landing_file)

    def chunk_parameters(self, state: FileState, frame: pd.DataFrame) -> ChunkParameters:
        """Parameters for one chunk; remembers the chunk's keys for the chunks after it."""
        key = key_column(self.dataset)
        hashes = key_hashes(frame[key]) if key in frame else np.empty(0, dtype="uint64")
        values: dict[str, list[object]] = {"keys_in_earlier_chunks": []}
        if state.key_hashes and len(hashes):
            earlier = np.concatenate(state.key_hashes)
            present = frame[key].dropna()
            repeated = present[np.isin(hashes, earlier)]
            values["keys_in_earlier_chunks"] = sorted(set(repeated.astype("str")))
        state.key_hashes.append(np.unique(hashes))
        parameters = ChunkParameters(values=values)
        if self.dataset.name == "hn_ledger":
            self._ledger_parameters(state, frame, parameters)
        if self.dataset.name == "placements":
            state.placement_ids.update(frame["placement_id"].dropna().astype("str"))
        return parameters

    def accept(self, state: FileState) -> None:
        """The file passed: later files of this run are checked against it as if it were loaded."""
        hashes = np.unique(np.concatenate(state.key_hashes)) if state.key_hashes else np.empty(0, "uint64")
        month = state.landing_file.extract_month or ""
        self._accepted.append(_AcceptedFile(state.landing_file.name, month, hashes))
        if self.dataset.name == "placements":
            newest = self.newest_snapshot_month()
            if newest is None or month >= newest:
                self._accepted_snapshot = (month, set(state.placement_ids), state.landing_file.name)
        if state.monthly_spend is not None and not state.monthly_spend.empty:
            spend = state.monthly_spend[["period", "s251_line", "spend_gbp"]].copy()
            spend["_extract_month"] = month
            self._accepted_spend.append(spend)

    def share_snapshot(self, other: ValidationContext) -> None:
        """Let a ledger context see the placements accepted by the placements context of the same run."""
        if other._accepted_snapshot is not None:
            self._accepted_snapshot = other._accepted_snapshot

    def _accepted_key_index(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted key hashes of every accepted file, and which accepted file each came from."""
        if getattr(self, "_key_index_size", -1) != len(self._accepted):
            hashes = np.concatenate([f.key_hashes for f in self._accepted])
            owners = np.concatenate([np.full(len(f.key_hashes), i) for i, f in enumerate(self._accepted)])
            order = np.argsort(hashes, kind="stable")
            self._key_index = (hashes[order], owners[order])
            self._key_index_size = len(self._accepted)
        return self._key_index

    # ------------------------------------------------------------------------------------------ ledger

    def _replaced_months(self, state: FileState) -> list[str]:
        """Months whose loaded rows no longer count: this file's, and those of files accepted in this run."""
        return sorted({state.landing_file.extract_month or "", *(f.month for f in self._accepted)})

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
        if self._accepted and len(ids):
            # One lookup against every accepted file's keys at once: a loop over files made a backfill of
            # many months quadratic (minutes at national scale).
            hashes = key_hashes(ids)
            all_hashes, owners = self._accepted_key_index()
            position = np.searchsorted(all_hashes, hashes)
            found = position < len(all_hashes)
            found[found] = all_hashes[position[found]] == hashes[found]
            this_month = state.landing_file.extract_month or ""
            for value, owner in zip(ids[found], owners[position[found]], strict=True):
                accepted = self._accepted[owner]
                if accepted.month != this_month:
                    used_elsewhere.setdefault(value, accepted.name)
        parameters.values["transaction_ids_in_other_deliveries"] = sorted(used_elsewhere)
        if used_elsewhere:
            files = sorted(set(used_elsewhere.values()))
            parameters.notes["other_files"] = ", ".join(files[:3]) + (
                f" and {len(files) - 3} more" if len(files) > 3 else ""
            )

        placement_ids = frame["placement_id"].dropna().astype("str").unique().tolist()
        snapshot = self.newest_snapshot()
        if snapshot is None:
            # Nothing to check against: accept the ids, and say so once.
            parameters.values["placement_ids_not_in_newest_snapshot"] = []
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

    def usual_monthly_spend(self, state: FileState, summary: pd.DataFrame) -> pd.Series:
        """For each (period, s251_line) of a file: the line's median month over up to 12 earlier months.

        Months come from deliveries other than the one being replaced; NA where there are fewer than 3.
        """
        history = pd.concat([self._warehouse_spend, *self._accepted_spend], ignore_index=True)
        if history.empty or summary.empty:
            return pd.Series(np.nan, index=summary.index, dtype="float64")
        history = history[~history["_extract_month"].isin(self._replaced_months(state))]
        by_month = history.groupby(["s251_line", "period"], as_index=False)["spend_gbp"].sum()
        usual = []
        for period, line in zip(summary["period"], summary["s251_line"], strict=True):
            earlier = by_month[(by_month["s251_line"] == line) & (by_month["period"] < period)]
            earlier = earlier.sort_values("period").tail(USUAL_MONTHS)["spend_gbp"]
            usual.append(float(earlier.median()) if len(earlier) >= MIN_USUAL_MONTHS else np.nan)
        return pd.Series(usual, index=summary.index, dtype="float64")

    def file_summary_parameters(self, state: FileState, summary: pd.DataFrame) -> pd.DataFrame:
        """Add what the file-level rules compare against (the ledger's usual monthly spend)."""
        if self.dataset.name == "hn_ledger":
            summary = summary.copy()
            summary["usual_monthly_spend_gbp"] = self.usual_monthly_spend(state, summary)
            usual = summary["usual_monthly_spend_gbp"]
            summary["unusual_above_gbp"] = usual.where(usual > 0) * UNUSUAL_MONTH_FACTOR
            state.monthly_spend = summary
        return summary


def _table_exists(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' and table_name = ?",
        [table],
    ).fetchall()
    return bool(found[0][0])
