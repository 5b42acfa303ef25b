"""What the quality gate found in one file, in words a finance officer can act on.

Each broken rule becomes a `Finding` while the batches pass (counts, a few rows and examples, merged across
batches), then a `Problem` (`problems.py`) with a finished message. Example values are masked when they
identify a child or a transaction (`A91…`) and neutralised when a spreadsheet would run them as a formula, in
every output: messages, `highneeds check --json`, quarantine reports and Dagster metadata. Values are only
ever quoted from columns whose header was recognised: a file whose header is not is described by its shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from expectations.problems import Problem, Severity
from expectations.rules import (
    IDENTIFYING_COLUMNS,
    MAX_EXAMPLE_CHARS,
    MAX_EXAMPLES,
    MAX_ROWS_LISTED,
    RULE_ORDER,
)
from orchestration.contract import LandingFile
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.headers import HeaderPlan, looks_personal
from orchestration.parsing.safe_text import neutralise_formula
from orchestration.parsing.upn import mask_identifier


def display_value(value: object, column: str | None, limit: int = MAX_EXAMPLE_CHARS) -> str:
    """One example value as it may be shown anywhere: masked if identifying, short, never a formula."""
    text = "" if value is None else str(value)
    if column in IDENTIFYING_COLUMNS:
        text = mask_identifier(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return neutralise_formula(text)


_SINGULAR_PLURAL = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]")


def agree(template: str, count: int) -> str:
    """`[row is|rows are]` → `row is` for one, `rows are` for any other count."""
    return _SINGULAR_PLURAL.sub(lambda m: m.group(1) if count == 1 else m.group(2), template)


def _plural(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count:,} {noun if count == 1 else plural}"


@dataclass
class Finding:
    """One rule broken in one file, accumulated over the file's chunks."""

    rule: str
    column: str | None
    severity: Severity
    template: str
    """The message: `[singular|plural]` agrees with the count, then `{count}`, `{column}`, `{examples}` and
    rule-specific fields (`{reasons}`, `{other_files}`, `{snapshot}`) are filled in when the file is done."""
    count: int = 0
    rows: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)

    def merge(
        self,
        count: int,
        rows: Iterable[int],
        examples: Iterable[str],
        reasons: Iterable[str] = (),
        notes: dict[str, str] | None = None,
    ) -> None:
        self.count += count
        for row in rows:
            if len(self.rows) >= MAX_ROWS_LISTED:
                break
            if row > 0:  # a file summary's month row stands for the whole file: no row to name
                self.rows.append(int(row))
        for example in examples:
            if len(self.examples) < MAX_EXAMPLES and example not in self.examples:
                self.examples.append(example)
        for reason in reasons:
            if reason and reason not in self.reasons:
                self.reasons.append(reason)
        for name, value in (notes or {}).items():
            self.notes.setdefault(name, value)

    def problem(self, file: str, header: str | None = None) -> Problem:
        examples = ", ".join(f"'{example}'" for example in self.examples)
        fields = {
            "count": f"{self.count:,}",
            "column": self.column or "",
            "examples": f"e.g. {examples}" if examples else "",
            "reasons": "; ".join(self.reasons[:2]) or "not readable",
            "other_files": "another month's file",
            "snapshot": "the newest placements snapshot",
            **self.notes,
        }
        message = agree(self.template, self.count).format_map(fields).replace(" ()", "").strip()
        message = message.rstrip(":; ")
        return Problem(
            file=file,
            rows=tuple(sorted(set(self.rows))),
            column=self.column,
            rule=self.rule,
            severity=self.severity,
            message=message,
            header=header,
        )


@dataclass
class FileReport:
    """Everything the gate found in one landing file."""

    landing_file: LandingFile
    sha256: str | None = None
    rows_checked: int = 0
    file_problems: list[Problem] = field(default_factory=list)
    findings: dict[tuple[str, str | None, str], Finding] = field(default_factory=dict)
    quarantined_as: Path | None = None
    already_loaded: bool = False
    """`highneeds check` only: the warehouse holds this very file already, so it was not checked again."""
    plan: HeaderPlan | None = None
    """How the file's header was read: mapped headers (for messages) and the columns dropped."""

    @property
    def name(self) -> str:
        return self.landing_file.name

    @property
    def dropped_columns(self) -> tuple[str, ...]:
        """Headers of the columns outside the contract that were dropped, as the file spells them."""
        return self.plan.dropped if self.plan else ()

    def note_header(self, plan: HeaderPlan) -> None:
        """Remember how the header was read, and warn about the columns that were dropped."""
        self.plan = plan
        personal = [name for name in plan.dropped if looks_personal(name)]
        others = [name for name in plan.dropped if not looks_personal(name)]
        if personal:
            self.file_problems.append(
                Problem(
                    file=self.name,
                    rows=(),
                    column=None,
                    rule="personal_data_dropped",
                    severity="warning",
                    message=f"personal data dropped, not stored: {_names(personal)} "
                    f"{'looks' if len(personal) == 1 else 'look'} personal (a name, a date of birth, an "
                    "address, a contact or another identifier) and the platform never keeps such columns; "
                    "ask for the extract without them",
                )
            )
        if others:
            self.file_problems.append(
                Problem(
                    file=self.name,
                    rows=(),
                    column=None,
                    rule="columns_dropped",
                    severity="warning",
                    message=f"{_names(others)} {'is' if len(others) == 1 else 'are'} not in the contract and "
                    f"{'was' if len(others) == 1 else 'were'} dropped, not stored (if one is a contract "
                    "column under another name, map it under columns: in highneeds.yaml)",
                )
            )

    def add_error(self, error: LandingFileError) -> None:
        """A problem with the file as a whole (unreadable, empty, cut off, a column missing)."""
        self.file_problems.append(Problem.from_error(error))

    def add_problem(self, problem: Problem) -> None:
        self.file_problems.append(problem)

    def absorb(self, other: FileReport) -> None:
        """Add what another report of the same file found (one batch's findings, once the batch settled)."""
        self.rows_checked += other.rows_checked
        self.file_problems += other.file_problems
        for (rule, column, severity), found in other.findings.items():
            finding = self.finding(rule, column, severity, found.template)
            finding.merge(found.count, found.rows, found.examples, found.reasons, found.notes)

    def finding(self, rule: str, column: str | None, severity: Severity, template: str) -> Finding:
        key = (rule, column, severity)
        if key not in self.findings:
            self.findings[key] = Finding(rule=rule, column=column, severity=severity, template=template)
        return self.findings[key]

    @property
    def problems(self) -> list[Problem]:
        """File problems first, then by the order in `RULE_ORDER`, then in the order the suite found them."""
        spelled = self.plan.spelled if self.plan else {}
        found = [
            *self.file_problems,
            *(f.problem(self.name, spelled.get(f.column or "")) for f in self.findings.values() if f.count),
        ]
        priority = {rule: index for index, rule in enumerate(RULE_ORDER)}
        ranked = sorted(
            enumerate(found),
            key=lambda item: (
                item[1].severity != "error",
                priority.get(item[1].rule, len(priority)),
                item[0],
            ),
        )
        return [problem for _, problem in ranked]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.file_problems) or any(
            f.count and f.severity == "error" for f in self.findings.values()
        )

    @property
    def refused(self) -> bool:
        return self.has_errors

    def headline(self) -> str:
        """One paragraph: the file was refused, and its first few errors."""
        errors = self.errors
        lines = [f"{self.name} was refused and not loaded ({_plural(len(errors), 'problem')}):"]
        lines += [f"  - {_where(problem)}{problem.message} [{problem.rule}]" for problem in errors[:3]]
        if len(errors) > 3:
            lines.append(f"  - … and {len(errors) - 3} more")
        if self.quarantined_as is not None:
            lines.append(f"  Full report: {message_path(self.quarantined_as)}")
        return "\n".join(lines)

    def message(self) -> str:
        """The plain-English letter left beside a quarantined file."""
        landing_file = self.landing_file
        month = landing_file.extract_month
        kept = (
            f"The warehouse still holds the data it had for {month}; nothing from this file was used."
            if month
            else f"The warehouse still holds the {landing_file.dataset.name} data it had; nothing from this "
            "file was used."
        )
        lines = [f"{self.name} was NOT loaded.", kept, "", "What is wrong:"]
        for number, problem in enumerate(self.errors, start=1):
            lines.append(f"  {number}. {_where(problem)}{problem.message}  [rule: {problem.rule}]")
        if self.warnings:
            lines += ["", "Worth checking too (these alone would not stop the file):"]
            for problem in self.warnings:
                lines.append(f"  - {_where(problem)}{problem.message}  [rule: {problem.rule}]")
        lines += [
            "",
            "What to do: correct the file (row numbers are as you see them in Excel) and save it in the "
            "landing folder again under the same name. The next run picks it up; nothing needs clearing.",
        ]
        if self.quarantined_as is not None:
            lines.append(f"A copy of the refused file is kept as {self.quarantined_as}.")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, object]:
        return safe_json(
            {
                "file": self.name,
                "dataset": self.landing_file.dataset.name,
                "extract_month": self.landing_file.extract_month,
                "sha256": self.sha256,
                "rows_checked": self.rows_checked,
                "refused": self.refused,
                "problems": [problem.to_json() for problem in self.problems],
            }
        )


def _where(problem: Problem) -> str:
    where = problem.where()
    return f"{where}: " if where else ""


def _names(headers: list[str]) -> str:
    listed = ", ".join(f"'{name}'" for name in headers)
    return f"column{'s' if len(headers) > 1 else ''} {listed}"


def message_path(quarantined_as: Path) -> Path:
    return quarantined_as.with_name(quarantined_as.name + ".txt")


def report_path(quarantined_as: Path) -> Path:
    return quarantined_as.with_name(quarantined_as.name + ".report.json")


def safe_json(value: object) -> object:
    """Every string in a JSON-able structure neutralised, so no cell of any export runs as a formula."""
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, dict):
        return {key: safe_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [safe_json(item) for item in value]
    return value


def problems_json(problems: Iterable[Problem]) -> str:
    """`highneeds check --json`: one JSON array of problems."""
    return json.dumps(safe_json([problem.to_json() for problem in problems]), ensure_ascii=False, indent=2)


class LandingFilesRefused(Exception):
    """One or more landing files of a dataset were refused; the others were loaded."""

    def __init__(self, reports: list[FileReport]) -> None:
        self.reports = reports
        super().__init__("\n".join(report.headline() for report in reports))
