"""The quality gate's one entry point: `check_dataset_files`, every new file of one dataset in one go.

Whether the files are being loaded (`orchestration/ingest.py` hands over a `RowSink` that stages the rows of
files that pass) or only checked (`highneeds check`, through `folder.py`), they pass the same way:

1. each file is read through the installation's header map (`orchestration/parsing/`): a file that cannot
   be read as the dataset's table (not a CSV, cut off, a column missing…) is refused there and then;
   columns outside the contract are dropped unread, and their names reported;
2. its rows are typed (`conform.py`) and laid out for the suites (`frames.py`), then gathered with the
   rows of the next files into batches of about `BATCH_ROWS` rows, split by file size, not per file;
3. each batch is ONE Great Expectations validation (`runner.py`, suites in `suites.py`), whose failing rows
   name their file and line, so every problem names the file, rows, column and rule (`report.py`);
4. once the rows of every file have been validated, one more validation checks the file summaries (monthly
   totals, `total` rows against their groups).

A file with an error is refused alone: the other files of the dataset still pass. What a file is compared
with besides itself (the warehouse, earlier files of the run) is `context.py`.
Great Expectations is imported only when a batch is validated: it takes seconds to import, and the Dagster
definitions and `highneeds --help` must load without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from expectations.conform import ConformedTable, conform_table
from expectations.context import FileState, ValidationContext
from expectations.frames import SOURCE_FILE, FileSummary, file_summary_builder, validation_frame
from expectations.problems import Problem
from expectations.report import FileReport
from expectations.rules import BATCH_ROWS
from orchestration.contract import LandingFile
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.headers import HeaderMap
from orchestration.parsing.reading import iter_landing_chunks

if TYPE_CHECKING:
    from expectations.context import ChunkParameters
    from expectations.runner import SuiteRunner


class RowSink(Protocol):
    """Where the rows of files that pass go (the loader's staging tables)."""

    def add(self, landing_file: LandingFile, conformed: ConformedTable) -> None:
        """Rows of a file with no error so far, chunk by chunk in file order."""

    def discard(self, landing_file: LandingFile) -> None:
        """The file turned out bad after some of its rows were added: forget them."""


@dataclass
class FileToCheck:
    """A landing file to check, and what is known about it before it is read."""

    landing_file: LandingFile
    sha256: str | None = None
    refused_because: Problem | None = None
    """Set when the file is refused without being read (a second delivery of the same month)."""


@dataclass
class _Piece:
    """One chunk of one file, waiting in a batch: its text, then (once the batch is typed) its rows typed."""

    state: FileState
    chunk: int
    text: pd.DataFrame | None
    frame: pd.DataFrame | None = None
    """The rows laid out for the suites (`frames.validation_frame`)."""
    conformed: ConformedTable | None = None


def check_dataset_files(
    files: Sequence[FileToCheck],
    context: ValidationContext,
    runner: SuiteRunner | None,
    header_map: HeaderMap | None = None,
    sink: RowSink | None = None,
    batch_rows: int = BATCH_ROWS,
) -> list[FileReport]:
    """Every problem of each file (one report per file, in order); rows of files that pass go to `sink`.

    `runner` may be None when there is nothing to validate (it is made on first use otherwise, through
    `make_runner`). Files are checked against `context`, which then knows them (a transaction id used in
    two new months is caught even though neither is loaded yet).
    """
    return _DatasetGate(context, runner, header_map or HeaderMap(context.dataset), sink, batch_rows).check(
        files
    )


_LAST_RUNNER: list[tuple[Path, SuiteRunner]] = []
"""The runner of the home last loaded in this process: a run's datasets share its GX context and suites."""


def make_runner(home: Path | None = None) -> SuiteRunner:
    """A Great Expectations runner: ephemeral, or keeping results and Data Docs under `<home>/gx`.

    The last home's runner is kept for the next call and starts a new validation run each time it is
    handed out: creating a file context and saving a dataset's suite cost about 0.15 s, paid by each of a
    run's 14 datasets before. Only one is kept (a process that loads many homes, like the test suite, does
    not pile up contexts), and one whose folder has gone (a home removed and made again) is replaced.
    """
    from expectations.runner import SuiteRunner

    if home is None:
        return SuiteRunner()
    key = Path(home).resolve()
    if _LAST_RUNNER and _LAST_RUNNER[0][0] == key and _LAST_RUNNER[0][1].folder_exists():
        runner = _LAST_RUNNER[0][1]
        runner.start_run()
        return runner
    runner = SuiteRunner(home)
    _LAST_RUNNER[:] = [(key, runner)]
    return runner


class _DatasetGate:
    def __init__(
        self,
        context: ValidationContext,
        runner: SuiteRunner | None,
        header_map: HeaderMap,
        sink: RowSink | None,
        batch_rows: int,
    ) -> None:
        self.context = context
        self.dataset = context.dataset
        self.runner = runner
        self.header_map = header_map
        self.sink = sink
        self.batch_rows = batch_rows
        self.reports: dict[int, FileReport] = {}
        self.builders: dict[int, FileSummary | None] = {}
        self.summaries: dict[int, FileSummary] = {}
        self.batches = 0

    def _runner(self) -> SuiteRunner:
        if self.runner is None:
            self.runner = make_runner()
        return self.runner

    # ---------------------------------------------------------------------------------------- reading

    def check(self, files: Sequence[FileToCheck]) -> list[FileReport]:
        first = len(self.context.files)
        pending: list[_Piece] = []
        pending_rows = 0
        for number, item in enumerate(files, start=first):
            state = self.context.start_file(item.landing_file, number)
            report = self.reports[number] = FileReport(landing_file=item.landing_file, sha256=item.sha256)
            if item.refused_because is not None:
                report.add_problem(item.refused_because)
                self.context.refuse(state)
                continue
            builder = self.builders[number] = file_summary_builder(self.dataset)
            try:
                for chunk, raw in enumerate(
                    iter_landing_chunks(
                        item.landing_file.path,
                        self.dataset,
                        self.batch_rows,
                        header_map=self.header_map,
                        keep_extra_columns=False,
                    )
                ):
                    if chunk == 0 and raw.plan is not None:
                        report.note_header(raw.plan)
                    pending.append(_Piece(state, chunk, raw.frame))
                    pending_rows += len(raw.frame)
                    if pending_rows >= self.batch_rows:
                        self._validate(pending)
                        pending, pending_rows = [], 0
            except LandingFileError as error:
                report.add_error(error)
                pending = [piece for piece in pending if piece.state is not state]
                pending_rows = sum(len(piece.text) for piece in pending if piece.text is not None)
                self._refuse(state)
                continue
            if builder is not None:
                self.summaries[number] = builder
        self._validate(pending)
        self._validate_summaries()
        for number, report in self.reports.items():
            if not report.has_errors:
                self.context.accept(_state(self.context, number))
        return [self.reports[number] for number in sorted(self.reports)]

    def _refuse(self, state: FileState) -> None:
        self.context.refuse(state)
        if self.sink is not None:
            self.sink.discard(state.landing_file)

    # --------------------------------------------------------------------------------------- batches

    def _validate(self, pieces: list[_Piece]) -> None:
        """Validate pieces as one batch (a file with no rows alone, so "no data rows" is its own finding)."""
        empty = [piece for piece in pieces if piece.text is not None and piece.text.empty]
        rows = [piece for piece in pieces if not any(piece is other for other in empty)]
        for batch in ([rows] if rows else []) + [[piece] for piece in empty]:
            self._type(batch)
            self._validate_batch(batch)

    def _type(self, pieces: list[_Piece]) -> None:
        """Type the batch's rows in one go, and give each piece its share (and its file's summary)."""
        text = pd.concat([piece.text for piece in pieces], ignore_index=True)
        sizes = [len(piece.text) for piece in pieces]  # type: ignore[arg-type]
        numbers = np.repeat([piece.state.number for piece in pieces], sizes)
        months = np.repeat([piece.state.month for piece in pieces], sizes)
        conformed = conform_table(text, self.dataset)
        frame = validation_frame(self.dataset, conformed, numbers, months)
        start = 0
        for piece, size in zip(pieces, sizes, strict=True):
            rows = slice(start, start + size)
            piece.frame = frame.iloc[rows]
            piece.conformed = ConformedTable(conformed.frame.iloc[rows], conformed.as_delivered.iloc[rows])
            piece.text = None
            builder = self.builders.get(piece.state.number)
            if builder is not None:
                builder.add(piece.frame)
            start += size

    def _validate_batch(self, pieces: list[_Piece]) -> None:
        parameters = {id(piece): self._parameters(piece) for piece in pieces}
        found = self._findings(pieces, parameters)
        if self.context.depends_on_earlier_files:
            self._settle(pieces, parameters, found)
        for number, scratch in found.items():
            report = self.reports[number]
            report.absorb(scratch)
            if report.has_errors:
                self._refuse(_state(self.context, number))
        if self.sink is not None:
            for piece in pieces:
                if not self.reports[piece.state.number].has_errors:
                    self.sink.add(piece.state.landing_file, piece.conformed)  # type: ignore[arg-type]

    def _settle(
        self, pieces: list[_Piece], parameters: dict[int, ChunkParameters], found: dict[int, FileReport]
    ) -> None:
        """Validate again the files whose cross-file parameters assumed an earlier file of the batch passed.

        The earliest refused file's verdict is final (cross-file rules only look at earlier files); the
        files after it whose parameters change without it are validated again, and so on down the batch.
        """
        settled: set[int] = set()
        while unsettled := {n for n, scratch in found.items() if scratch.has_errors} - settled:
            refused = min(unsettled)
            settled.add(refused)
            self.context.refuse(_state(self.context, refused))
            changed = set()
            for piece in (p for p in pieces if p.state.number > refused):
                now = self._parameters(piece)
                if now.values != parameters[id(piece)].values:
                    parameters[id(piece)] = now
                    changed.add(piece.state.number)
            if changed:
                again = [piece for piece in pieces if piece.state.number in changed]
                found.update(self._findings(again, parameters))

    def _parameters(self, piece: _Piece) -> ChunkParameters:
        return self.context.chunk_parameters(piece.state, piece.chunk, piece.frame)  # type: ignore[arg-type]

    def _findings(
        self, pieces: list[_Piece], parameters: dict[int, ChunkParameters]
    ) -> dict[int, FileReport]:
        """One validation of the pieces; the findings of each file, kept apart until the batch is settled."""
        from expectations.runner import ROWS, add_findings

        values: dict[str, set[object]] = {}
        notes: dict[int, dict[str, str]] = {}
        scratch: dict[int, FileReport] = {}
        for piece in pieces:
            piece_parameters = parameters[id(piece)]
            for name, listed in piece_parameters.values.items():
                values.setdefault(name, set()).update(listed)
            number = piece.state.number
            for name, note in piece_parameters.notes.items():
                notes.setdefault(number, {}).setdefault(name, note)
            report = scratch.setdefault(number, FileReport(landing_file=piece.state.landing_file))
            report.rows_checked += len(piece.frame)  # type: ignore[arg-type]
            for rule, column, message in piece_parameters.warnings:
                finding = report.finding(rule, column, "warning", message)
                if not finding.count:
                    finding.merge(count=1, rows=(), examples=())
        frame = pd.concat([piece.frame for piece in pieces], ignore_index=True)
        self.batches += 1
        result = self._runner().validate(
            self.dataset,
            frame,
            ROWS,
            {name: sorted(listed, key=str) for name, listed in values.items()},
            label=self._label(pieces, len(frame)),
        )
        add_findings(scratch, result, frame, notes)
        return scratch

    def _label(self, pieces: list[_Piece], rows: int) -> str:
        names = list(dict.fromkeys(piece.state.landing_file.name for piece in pieces))
        span = names[0] if len(names) == 1 else f"{names[0]} … {names[-1]} ({len(names)} files)"
        return f"{span}, {rows:,} rows (batch {self.batches})"

    # ------------------------------------------------------------------------------------ file level

    def _validate_summaries(self) -> None:
        """The file-level rules over every file's summary, in one validation."""
        if not self.summaries:
            return
        from expectations.runner import FILE, add_findings

        parts = []
        for number, builder in sorted(self.summaries.items()):
            state = _state(self.context, number)
            summary = self.context.file_summary_parameters(state, builder.finish())
            summary[SOURCE_FILE] = number
            parts.append(summary)
        frame = pd.concat(parts, ignore_index=True)
        if frame.empty:
            return
        result = self._runner().validate(
            self.dataset, frame, FILE, {}, label=f"{self.dataset.name}: {len(parts)} file summaries"
        )
        scratch = {
            number: FileReport(landing_file=self.reports[number].landing_file) for number in self.summaries
        }
        add_findings(scratch, result, frame, {})
        for number, found in scratch.items():
            self.reports[number].absorb(found)
            if self.reports[number].has_errors:
                self._refuse(_state(self.context, number))


def _state(context: ValidationContext, number: int) -> FileState:
    return next(state for state in context.files if state.number == number)


def duplicate_deliveries(files: list[LandingFile]) -> dict[str, Problem]:
    """Two files for the same month (or two versions of a reference file): both are refused."""
    by_month: dict[tuple[str, str], list[LandingFile]] = {}
    for landing_file in files:
        by_month.setdefault((landing_file.dataset.name, landing_file.extract_month or ""), []).append(
            landing_file
        )
    problems: dict[str, Problem] = {}
    for (_, month), same in by_month.items():
        if len(same) < 2:
            continue
        names = " and ".join(f.name for f in same)
        what = f"month {month}" if month else "reference file"
        for landing_file in same:
            problems[landing_file.name] = Problem(
                file=landing_file.name,
                rows=(),
                column=None,
                rule="duplicate_delivery",
                severity="error",
                message=f"{names} are two deliveries of the same {what}; keep only the right one in the "
                "landing folder",
            )
    return problems
