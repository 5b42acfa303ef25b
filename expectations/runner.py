"""Run a dataset's suite on a batch of files and turn what fails into findings a person can act on.

`SuiteRunner` holds one Great Expectations context: ephemeral for `highneeds check`, or on disk under
`<home>/gx` during a run, where every validation result is kept (identifiers masked first) and the Data
Docs site is rebuilt from them (`<home>/gx/uncommitted/data_docs/local_site/index.html`).

A validation is two passes over the same batch: every expectation with the `BOOLEAN_ONLY` result format
(the cheapest Great Expectations has: most batches pass and need nothing more), then only the failed ones
with `COMPLETE`, whose failing rows name their file (`source_file`) and line (`source_row`), so each file
of the batch gets its own findings with exact counts.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Mapping
from pathlib import Path

import great_expectations as gx
import pandas as pd
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.execution_engine import pandas_execution_engine

from expectations.frames import READABLE_SUFFIX, ROW_KEY, SOURCE_FILE, VALUE_SUFFIX
from expectations.report import FileReport, display_value
from expectations.rules import IDENTIFYING_COLUMNS, MAX_EXAMPLES, MAX_ROWS_LISTED
from expectations.suites import FILE, ROWS, build_suite
from orchestration.contract import Dataset
from orchestration.parsing.reading import SOURCE_ROW
from orchestration.parsing.safe_text import neutralise_formula
from orchestration.parsing.upn import mask_identifier, upn_problem
from orchestration.parsing.values import PARSERS

_SEVERITY = {"critical": "error", "warning": "warning", "info": "warning"}
_VERDICT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
_DETAIL_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [SOURCE_FILE, SOURCE_ROW],
    "return_unexpected_index_query": False,
}
# Great Expectations fingerprints every pandas batch under 1 GB by hashing all of its cells: a third of a
# validation's time on a batch of files. A batch here is traced by its files and rows instead.
pandas_execution_engine.HASH_THRESHOLD = 0

_EXAMPLE_LINE_CHARS = 120
_ROWS_FOR_EXAMPLES = 200
"""Failing rows of a file looked at for examples and reasons: enough to find 3 distinct values."""


class SuiteRunner:
    """Validates tables against the landing suites with one Great Expectations context."""

    def __init__(self, home: Path | None = None) -> None:
        """Ephemeral without `home`; else results and Data Docs are kept under `<home>/gx`."""
        if home is None:
            self.context = gx.get_context(mode="ephemeral")
        else:
            home.mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(home))
            _without_config_variables(Path(self.context.root_directory))
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.keep_results = home is not None
        self._kept: list[ValidationResultIdentifier] = []
        self._datasource = self.context.data_sources.add_or_update_pandas("landing")
        self._suites: dict[str, gx.ExpectationSuite] = {}
        self._scoped_suites: dict[tuple[str, str], gx.ExpectationSuite] = {}
        self._run_id = RunIdentifier(run_name="highneeds", run_time=dt.datetime.now(dt.UTC))

    def start_run(self) -> None:
        """Begin a new validation run: results are kept under a new run id, and Data Docs drawn from now on
        show this run's results (earlier ones stay in the store and the site's index)."""
        self._kept = []
        self._run_id = RunIdentifier(run_name="highneeds", run_time=dt.datetime.now(dt.UTC))

    def folder_exists(self) -> bool:
        """Whether the context's folder is still there (always, for an ephemeral context)."""
        return not self.keep_results or Path(self.context.root_directory).is_dir()

    def suite(self, dataset: Dataset) -> gx.ExpectationSuite:
        if dataset.name not in self._suites:
            suite = build_suite(dataset.name)
            if self.keep_results:  # Data Docs show the suite beside its results
                suite = self.context.suites.add_or_update(suite)
            self._suites[dataset.name] = suite
        return self._suites[dataset.name]

    def _scoped(self, suite: gx.ExpectationSuite, scope: str) -> gx.ExpectationSuite:
        """The suite's expectations of one scope, as a throwaway suite (made once: copying them is slow)."""
        key = (suite.name, scope)
        if key not in self._scoped_suites:
            self._scoped_suites[key] = gx.ExpectationSuite(
                name=suite.name,
                expectations=[copy.copy(e) for e in suite.expectations if e.meta.get("scope", ROWS) == scope],
            )
        return self._scoped_suites[key]

    @staticmethod
    def _only(suite: gx.ExpectationSuite, numbers: set[int]) -> gx.ExpectationSuite:
        """The expectations of `suite` whose `meta.number` is in `numbers`."""
        return gx.ExpectationSuite(
            name=suite.name, expectations=[e for e in suite.expectations if e.meta["number"] in numbers]
        )

    def _batch(self, dataset: Dataset, frame: pd.DataFrame):
        try:
            asset = self._datasource.get_asset(dataset.name)
        except LookupError:
            asset = self._datasource.add_dataframe_asset(dataset.name)
        try:
            definition = asset.get_batch_definition("landing file")
        except (KeyError, LookupError):
            definition = asset.add_batch_definition_whole_dataframe("landing file")
        return definition.get_batch(batch_parameters={"dataframe": frame})

    def validate(
        self,
        dataset: Dataset,
        frame: pd.DataFrame,
        scope: str,
        parameters: dict[str, list[object]],
        label: str,
    ):
        """Validate `frame` against the expectations of one scope (`rows` or `file`) of the suite.

        The result holds a verdict for every expectation and, for those that failed, every failing row.
        """
        suite = self.suite(dataset)
        scoped = self._scoped(suite, scope)
        if not scoped.expectations:
            return None
        batch = self._batch(dataset, frame)
        result = batch.validate(scoped, result_format=_VERDICT_FORMAT, expectation_parameters=parameters)
        _raise_on_broken_expectations(result)
        failed = {item.expectation_config.meta["number"] for item in result.results if not item.success}
        if failed:
            detailed = batch.validate(
                self._only(scoped, failed), result_format=_DETAIL_FORMAT, expectation_parameters=parameters
            )
            _raise_on_broken_expectations(detailed)
            by_number = {item.expectation_config.meta["number"]: item for item in detailed.results}
            result.results = [
                by_number.get(item.expectation_config.meta["number"], item) for item in result.results
            ]
        if self.keep_results:
            self._keep(result, suite.name, label)
        return result

    def _keep(self, result, suite_name: str, label: str) -> None:
        masked = safe_for_docs(result)
        suite_id = ExpectationSuiteIdentifier(name=suite_name)
        key = ValidationResultIdentifier(
            expectation_suite_identifier=suite_id, run_id=self._run_id, batch_identifier=label
        )
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=masked,
            suite_validation_result_identifier=key,
            expectation_suite_identifier=suite_id,
        )
        self._kept.append(key)

    @property
    def results_kept(self) -> int:
        return len(self._kept)

    def build_data_docs(self) -> Path | None:
        """Add this runner's results and suites to the Data Docs site; the path of its index page.

        Only the new pages and the index are rendered (a full rebuild renders every result ever kept).
        """
        if not self.keep_results:
            return None
        suites = [ExpectationSuiteIdentifier(name=name) for name in self._suites]
        self.context.build_data_docs(resource_identifiers=[*self._kept, *suites])
        index = Path(self.context.root_directory) / "uncommitted" / "data_docs" / "local_site" / "index.html"
        return index if index.exists() else None


def _without_config_variables(gx_dir: Path) -> None:
    """Remove the config-variables template Great Expectations writes into a new project.

    The platform substitutes no variables into its GX configuration, but GX reads and parses that YAML
    file again every time it reads one of the context's settings: some 65 times for each dataset of a run,
    a fifth of loading a small file. Without the file GX substitutes from the environment only.
    """
    (gx_dir / "uncommitted" / "config_variables.yml").unlink(missing_ok=True)


def _raise_on_broken_expectations(result) -> None:
    """An expectation that could not run is a bug in the suite, never a verdict on the file."""
    for item in result.results:
        info = item.exception_info or {}
        infos = info.values() if info and "raised_exception" not in info else [info]
        for one in infos:
            if isinstance(one, dict) and one.get("raised_exception"):
                raise RuntimeError(
                    f"expectation {item.expectation_config.type} "
                    f"({item.expectation_config.meta.get('rule')}) "
                    f"could not run: {one.get('exception_message')}"
                )


def _base_column(name: str | None) -> str | None:
    return name.removesuffix(VALUE_SUFFIX).removesuffix(READABLE_SUFFIX) if name else name


def safe_for_docs(result):
    """A copy of a validation result that is safe to publish as Data Docs.

    Identifying values are masked (`A91…`); every other delivered value is HTML-escaped and has its
    formula start neutralised, because the Data Docs pages put values into HTML as they are.
    """
    safe = copy.deepcopy(result)
    for item in safe.results:
        config = item.expectation_config
        columns = {
            _base_column(config.kwargs.get(k))
            for k in ("column", "column_A", "column_B")
            if config.kwargs.get(k)
        } | {_base_column(c) for c in config.kwargs.get("column_list") or []}
        clean = _mask if columns & (IDENTIFYING_COLUMNS | {ROW_KEY}) else _escape
        if isinstance(config.kwargs.get("value_set"), list):
            values = config.kwargs["value_set"]
            config.kwargs["value_set"] = clean(values[:MAX_EXAMPLES] if clean is _mask else values)
        outcome = item.result or {}
        for key in (
            "partial_unexpected_list",
            "unexpected_list",
            "partial_unexpected_counts",
            "observed_value",
        ):
            if key in outcome:
                value = outcome[key]
                outcome[key] = clean(value[:MAX_ROWS_LISTED] if isinstance(value, list) else value)
        for key in ("partial_unexpected_index_list", "unexpected_index_list"):
            if key in outcome:
                outcome[key] = [
                    {k: (v if k in (SOURCE_ROW, SOURCE_FILE) else clean(v)) for k, v in entry.items()}
                    for entry in outcome[key][:MAX_ROWS_LISTED]
                ]
    return safe


def _mask(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return value
    if isinstance(value, tuple | list):
        return [_mask(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "count" else _mask(v)) for k, v in value.items()}
    return mask_identifier(str(value))


def _escape(value: object) -> object:
    if isinstance(value, str):
        return html.escape(neutralise_formula(value))
    if isinstance(value, tuple | list):
        return [_escape(v) for v in value]
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    return value


# ------------------------------------------------------------------------------ results → findings


def add_findings(
    reports: Mapping[int, FileReport],
    result,
    frame: pd.DataFrame,
    notes: Mapping[int, dict[str, str]],
) -> None:
    """Merge every failed expectation of a batch's result into the findings of the files it failed in.

    `reports` (one per file of the batch) and `notes` are keyed by the files' numbers (`source_file`). A
    table-level expectation (no failing rows) is a finding of every file in the batch.
    """
    if result is None:
        return
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        meta = config.meta
        outcome = item.result or {}
        severity = _SEVERITY[str(getattr(config.severity, "value", config.severity))]
        entries = outcome.get("unexpected_index_list")
        if not entries:
            if outcome.get("unexpected_count"):  # failing rows, but none named: a broken suite
                raise RuntimeError(f"expectation {config.type} ({meta.get('rule')}) did not name its rows")
            failing_rows: dict[int, list[int]] = {number: [] for number in reports}
        else:
            failing_rows = {}
            for entry in entries:
                failing_rows.setdefault(int(entry[SOURCE_FILE]), []).append(int(entry[SOURCE_ROW]))
        for number, rows in failing_rows.items():
            report = reports[number]
            finding = report.finding(
                rule=meta["rule"], column=meta.get("column"), severity=severity, template=meta["message"]
            )
            shown = set(rows[:_ROWS_FOR_EXAMPLES])
            in_file = frame[frame[SOURCE_FILE] == number]
            failing = in_file[in_file[SOURCE_ROW].isin(shown)] if shown else in_file.iloc[0:0]
            personal = {c.name for c in report.landing_file.dataset.columns if c.personal}
            finding.merge(
                count=len(rows) or 1,
                rows=rows,
                examples=_examples(failing, meta),
                reasons=[] if meta.get("column") in personal else _reasons(failing, meta),
                notes=notes.get(number, {}),
            )


def _examples(failing: pd.DataFrame, meta: dict) -> list[str]:
    examples: list[str] = []
    column = meta.get("column")
    template = meta.get("example")
    for record in failing.to_dict("records"):
        if template:
            shown = {
                name: (
                    display_value(value, name)
                    if name in IDENTIFYING_COLUMNS or isinstance(value, str)
                    else _plain(value)
                )
                for name, value in record.items()
            }
            try:
                text = display_value(template.format_map(_Blank(shown)), None, limit=_EXAMPLE_LINE_CHARS)
            except (ValueError, TypeError):  # a number format over a blank value
                text = display_value(
                    template.format_map(_Blank({k: str(v) for k, v in shown.items()})),
                    None,
                    limit=_EXAMPLE_LINE_CHARS,
                )
        elif column in record:
            text = display_value(record[column], column)
        else:
            continue
        if text not in examples:
            examples.append(text)
        if len(examples) == MAX_EXAMPLES:
            break
    return examples


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "blank"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _reasons(failing: pd.DataFrame, meta: dict) -> list[str]:
    """Why values did not parse, from the same parsers the load uses (never quoting an identifier)."""
    parsed_type = meta.get("parsed_type")
    column = meta.get("column")
    if not parsed_type or column not in failing or failing.empty:
        return []
    values = failing[column].dropna().astype("str")
    if parsed_type == "upn":
        return sorted({upn_problem(v.strip().upper()) or "" for v in values} - {""})
    reasons = PARSERS[parsed_type](values).reasons.dropna()
    return list(dict.fromkeys(reasons.tolist()))


__all__ = ["FILE", "ROWS", "SuiteRunner", "add_findings", "safe_for_docs"]
