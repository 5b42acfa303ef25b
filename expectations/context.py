"""What a file is checked against besides itself: the warehouse, its own earlier chunks, and earlier files.

- uniqueness across a file's chunks: the keys of the chunks already read, as 64-bit hashes (8 bytes a row,
  so a million-row file costs 8 MB, not the gigabyte its text would);
- `hn_ledger.transaction_id` unique across all periods: ids already loaded for *other* months (the month a
  file re-delivers is being replaced, so its old ids do not count), plus ids of earlier files of this run
  that are not refused;
- `hn_ledger.placement_id` exists in the newest `placements` snapshot (loaded, or accepted in this run);
- a ledger month's usual spend per s251 line, for the plausibility warning;
- a ledger file's lines that repeat an earlier line of the file under another id (same posting date,
  amount, placement and description), as 64-bit hashes per chunk like the keys;
- a ledger month's total against the median of the months loaded before it, and against its control totals
  (`ledger_control_totals`, loaded, or accepted in this run);
- `forecast_adjustments` rows for a closed year (its March ledger month loaded, or accepted in this run)
  that the loaded adjustments do not already hold.

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

from expectations.frames import ROW_KEY, scoped_keys, value_column
from expectations.rules import (
    CONTROL_TOTAL_TOLERANCE_GBP,
    MIN_MONTH_TOTAL_MEDIAN_MONTHS,
    MIN_USUAL_MONTHS,
    MONTH_TOTAL_MEDIAN_MONTHS,
    MONTH_TOTAL_REFUSED_FACTOR,
    UNUSUAL_MONTH_FACTOR,
    USUAL_MONTHS,
)
from orchestration.contract import Dataset, LandingFile
from orchestration.parsing.reading import SOURCE_ROW


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
    line_signatures: list[np.ndarray] = field(default_factory=list)
    """`hn_ledger`: hashes of each chunk's (posting date, amount, placement, description), in chunk order."""
    control_totals: list[pd.DataFrame] = field(default_factory=list)
    """`ledger_control_totals`: the file's rows, typed (a few hundred at most)."""
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
    "repeated_ledger_lines",
    "adjustments_in_closed_years",
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
        self._spend_history_of: tuple[tuple[int, int], pd.DataFrame] | None = None
        self._accepted_control_totals: pd.DataFrame | None = None
        self._accepted_ledger_months: set[str] = set()
        self._warehouse_snapshot = self._newest_loaded_snapshot()
        self._warehouse_spend = self._loaded_monthly_spend()
        self._warehouse_control_totals = self._loaded_control_totals()
        self._warehouse_closed_years, self._loaded_adjustments = self._loaded_adjustment_history()

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
            self._repeated_lines(state, chunk, frame, parameters)
        if self.dataset.name == "placements":
            state.placement_ids.update(frame["placement_id"].dropna().astype("str"))
        if self.dataset.name == "ledger_control_totals" and chunk == len(state.control_totals):
            state.control_totals.append(_control_total_rows(frame))
        if self.dataset.name == "forecast_adjustments":
            parameters.values["adjustments_in_closed_years"] = self._adjustments_in_closed_years(frame)
        return parameters

    def refuse(self, state: FileState) -> None:
        state.refused = True

    def accept(self, state: FileState) -> None:
        """The file passed: later files of this run see it as if it were loaded."""
        if self.dataset.name == "placements":
            newest = self.newest_snapshot_month()
            if newest is None or state.month >= newest:
                self._accepted_snapshot = (state.month, set(state.placement_ids), state.landing_file.name)
        if self.dataset.name == "ledger_control_totals":
            self._accepted_control_totals = pd.concat(state.control_totals, ignore_index=True)
        if self.dataset.name == "hn_ledger":
            self._accepted_ledger_months.add(state.month)

    def share_accepted(self, other: ValidationContext) -> None:
        """See what another dataset's context accepted in the same check, as if it were loaded.

        `highneeds check` loads nothing: a ledger file is checked against the placements snapshot and the
        control totals accepted before it, an adjustment against the ledger months accepted before it.
        """
        if other._accepted_snapshot is not None:
            self._accepted_snapshot = other._accepted_snapshot
        if other._accepted_control_totals is not None:
            self._accepted_control_totals = other._accepted_control_totals
        self._accepted_ledger_months |= other._accepted_ledger_months

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

    def _repeated_lines(
        self, state: FileState, chunk: int, frame: pd.DataFrame, parameters: ChunkParameters
    ) -> None:
        """Lines that repeat an earlier line of the file under another id: a line posted twice, not a second
        payment (the same posting date, amount, placement and description)."""
        parts = [
            frame[value_column("posting_date")].astype("str"),
            frame[value_column("amount_gbp")].astype("str"),
            frame["placement_id"].fillna("").astype("str"),
            frame["description"].fillna("").astype("str"),
        ]
        signatures = pd.util.hash_pandas_object(
            pd.DataFrame({str(n): part for n, part in enumerate(parts)}), index=False
        ).to_numpy()
        if chunk == len(state.line_signatures):
            state.line_signatures.append(np.unique(signatures))
        repeated = pd.Series(signatures).duplicated(keep="first").to_numpy(copy=True)
        for earlier in (sorted_chunk for sorted_chunk in state.line_signatures[:chunk] if len(sorted_chunk)):
            # chunk by chunk against sorted arrays: no copy of the whole file's signatures at once
            found = np.minimum(np.searchsorted(earlier, signatures), len(earlier) - 1)
            repeated |= earlier[found] == signatures
        keys = frame[ROW_KEY].to_numpy()[repeated]
        parameters.values["repeated_ledger_lines"] = sorted(str(key) for key in keys if not pd.isna(key))

    def control_totals(self) -> pd.DataFrame:
        """Control totals known to this run: the file accepted in it, else the loaded one (whole files)."""
        if self._accepted_control_totals is not None:
            return self._accepted_control_totals
        return self._warehouse_control_totals

    def closed_years(self) -> set[str]:
        """Financial years whose March ledger month is loaded or accepted in this run (`2024-25`)."""
        months = self._accepted_ledger_months | self._warehouse_closed_years
        return {f"{int(m[:4]) - 1}-{m[2:4]}" for m in months if m.endswith("-03")}

    def _adjustments_in_closed_years(self, frame: pd.DataFrame) -> list[object]:
        """Row keys of adjustments for a closed year, except rows the loaded file already held as they are.

        The file is delivered whole, history included: an adjustment entered while its year was open stays
        in every later delivery and is kept; a new or changed one for a closed year is refused.
        """
        closed = frame[value_column("financial_year")].isin(self.closed_years())
        if not closed.any():
            return []
        rows = frame[closed]
        signatures = _adjustment_signatures(
            rows[value_column("financial_year")],
            rows[value_column("as_from_month")],
            rows["s251_line"],
            rows[value_column("amount_gbp")],
            rows["reason"],
        )
        new = ~signatures.isin(self._loaded_adjustments)
        return sorted(str(key) for key in rows.loc[new.to_numpy(), ROW_KEY] if not pd.isna(key))

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

    def _loaded_control_totals(self) -> pd.DataFrame:
        columns = ["period", "s251_line", "control_total_gbp"]
        if self.dataset.name != "hn_ledger" or self.connection is None:
            return pd.DataFrame(columns=columns)
        if not _table_exists(self.connection, "ledger_control_totals"):
            return pd.DataFrame(columns=columns)
        return self.connection.execute(
            """select period, s251_line, amount_gbp::double as control_total_gbp
               from raw.ledger_control_totals"""
        ).df()[columns]

    def _loaded_adjustment_history(self) -> tuple[set[str], set[str]]:
        """(ledger months loaded that end a year, signatures of the adjustments loaded)."""
        if self.dataset.name != "forecast_adjustments" or self.connection is None:
            return set(), set()
        months: set[str] = set()
        if _table_exists(self.connection, "hn_ledger"):
            rows = self.connection.execute(
                "select distinct _extract_month from raw.hn_ledger where _extract_month like '%-03'"
            ).fetchall()
            months = {row[0] for row in rows}
        loaded: set[str] = set()
        if _table_exists(self.connection, "forecast_adjustments"):
            adjustments = self.connection.execute(
                """select financial_year, as_from_month, s251_line, amount_gbp::double as amount_gbp, reason
                   from raw.forecast_adjustments"""
            ).df()
            loaded = set(
                _adjustment_signatures(
                    adjustments["financial_year"],
                    adjustments["as_from_month"],
                    adjustments["s251_line"],
                    adjustments["amount_gbp"],
                    adjustments["reason"],
                )
            )
        return months, loaded

    def _spend_history(self, state: FileState) -> pd.DataFrame:
        """Spend by period and line loaded before the file: the warehouse's, less the months this file and
        earlier files of the run replace, plus those earlier files' own (accepted, so "loaded")."""
        key = (state.number, len(self._accepted_spend))
        if self._spend_history_of is not None and self._spend_history_of[0] == key:
            return self._spend_history_of[1]  # asked twice per file: its usual lines, its month's median
        loaded = self._warehouse_spend
        loaded = loaded[~loaded["_extract_month"].isin(self._replaced_months(state))]
        history = pd.concat([loaded, *self._accepted_spend], ignore_index=True)
        self._spend_history_of = (key, history)
        return history

    def _months_before(self, state: FileState) -> pd.Series:
        """Total spend of each loaded month before the file's (by period)."""
        history = self._spend_history(state)
        if history.empty:
            return pd.Series(dtype="float64")
        totals = history.groupby("period")["spend_gbp"].sum().sort_index()
        return totals[totals.index < state.month]

    def _usual_monthly_spend(self, state: FileState, summary: pd.DataFrame) -> pd.Series:
        """For each (period, s251_line) of a file: the line's median month over up to 12 earlier months.

        Months come from `_spend_history`; NA where there are fewer than 3.
        """
        history = self._spend_history(state)
        if history.empty or summary.empty:
            return pd.Series(np.nan, index=summary.index, dtype="float64")
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
        """Add what the file-level rules compare against (usual spend, control totals, the month's median).

        Called for the run's files in order, after their rows were validated: a file whose rows passed, and
        that the file-level rules will not refuse, adds its spend to the history later files are compared
        with. Those rules test the columns added here against the thresholds of `rules.py`, so which files
        they refuse is known here already (`_refused_by_file_rules`).
        """
        if self.dataset.name != "hn_ledger":
            return summary
        summary = summary.copy()
        summary["usual_monthly_spend_gbp"] = self._usual_monthly_spend(state, summary)
        usual = summary["usual_monthly_spend_gbp"]
        summary["unusual_above_gbp"] = usual.where(usual > 0) * UNUSUAL_MONTH_FACTOR
        summary = self._with_month_and_control_totals(state, summary)
        if not state.refused and not summary.empty and not _refused_by_file_rules(summary):
            lines = summary[summary["s251_line"].notna() & (summary["lines"] > 0)]
            spend = lines[["period", "s251_line", "spend_gbp"]].copy()
            spend["_extract_month"] = state.month
            self._accepted_spend.append(spend)
        return summary

    def _with_month_and_control_totals(self, state: FileState, summary: pd.DataFrame) -> pd.DataFrame:
        """The line rows with their control totals, lines with a control total but no spend, and one row
        for the whole month (`s251_line` blank) with its control total and its median month.

        A month reconciles when its whole-block control total agrees, or, without one, when every s251 line
        it spends on has a control total and all agree.
        """
        controls = self.control_totals()
        controls = controls[controls["period"].isin(set(summary["period"]) | {state.month})]
        line_controls = controls[controls["s251_line"].notna()]
        lines = summary.merge(line_controls, on=["period", "s251_line"], how="outer")
        lines["spend_gbp"] = lines["spend_gbp"].fillna(0.0)
        lines["lines"] = lines["lines"].fillna(0).astype("int64")
        lines[SOURCE_ROW] = lines[SOURCE_ROW].fillna(0).astype("int64")
        lines["what"] = "s251 line " + lines["s251_line"].astype("str")

        total = float(summary["spend_gbp"].sum())
        block = controls.loc[controls["s251_line"].isna() & (controls["period"] == state.month)]
        block_total = float(block["control_total_gbp"].iloc[0]) if len(block) else np.nan
        before = self._months_before(state).iloc[-MONTH_TOTAL_MEDIAN_MONTHS:]
        judged = len(before) >= MIN_MONTH_TOTAL_MEDIAN_MONTHS and not summary.empty
        median = float(np.median(before)) if judged else np.nan
        month = pd.DataFrame(
            {
                "period": [state.month],
                "s251_line": [pd.NA],
                "spend_gbp": [total],
                SOURCE_ROW: [0],
                "lines": [int(summary["lines"].sum())],
                "control_total_gbp": [block_total],
                "what": ["the whole month"],
                "median_month_gbp": [median if median > 0 else np.nan],
                "months_in_median": [len(before)],
            }
        )
        found = pd.concat([lines, month], ignore_index=True)
        found["control_difference_gbp"] = (found["spend_gbp"] - found["control_total_gbp"]).round(2)
        checked = found["control_total_gbp"].notna()
        differences = found.loc[checked, "control_difference_gbp"].abs()
        all_agree = bool((differences <= CONTROL_TOTAL_TOLERANCE_GBP).all())
        spent_lines = found["s251_line"].notna() & (found["lines"] > 0)
        every_line_checked = bool(checked[spent_lines].all())
        reconciles = bool(checked.any()) and all_agree and (not np.isnan(block_total) or every_line_checked)
        ratio = found["spend_gbp"] / found["median_month_gbp"]
        low, high = 1 / MONTH_TOTAL_REFUSED_FACTOR, MONTH_TOTAL_REFUSED_FACTOR
        found["month_vs_median"] = ratio
        found["unreconciled_month_vs_median"] = np.nan if reconciles else ratio
        beyond_limits = (ratio < low) | (ratio > high)
        found["month_vs_median_to_warn"] = ratio if reconciles else ratio.where(~beyond_limits)
        return found.sort_values([SOURCE_ROW, "s251_line"], kind="stable", na_position="last").reset_index(
            drop=True
        )


def _refused_by_file_rules(summary: pd.DataFrame) -> bool:
    """Whether the ledger's file-level error rules (`suites._ledger_file_rules`) refuse this summary."""
    differs = summary["control_difference_gbp"].abs() > CONTROL_TOTAL_TOLERANCE_GBP
    ratio = summary["unreconciled_month_vs_median"]
    implausible = (ratio < 1 / MONTH_TOTAL_REFUSED_FACTOR) | (ratio > MONTH_TOTAL_REFUSED_FACTOR)
    return bool(differs.fillna(False).any() or implausible.fillna(False).any())


def _control_total_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A `ledger_control_totals` chunk as the ledger compares with it: period, line (NA = whole block)."""
    return pd.DataFrame(
        {
            "period": frame[value_column("period")].astype("object"),
            "s251_line": frame["s251_line"].astype("object"),
            "control_total_gbp": frame[value_column("amount_gbp")].astype("float64"),
        }
    )


def _adjustment_signatures(
    year: pd.Series, month: pd.Series, line: pd.Series, amount: pd.Series, reason: pd.Series
) -> pd.Series:
    """One text per adjustment, to tell whether the loaded file already held it exactly."""
    pounds = pd.to_numeric(amount, errors="coerce").round(2).map(lambda value: f"{value:.2f}")
    parts = [year, month, line, pounds, reason.astype("str").str.strip()]
    text = parts[0].astype("str")
    for part in parts[1:]:
        text = text + "|" + part.astype("str")
    return text.reset_index(drop=True)


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
