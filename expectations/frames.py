"""The tables the suites check: rows of a batch of files, and one small summary per file.

The row table holds each contract column as delivered (stripped text, NA for blank) under its own name,
and its typed value under `<column>__value` for columns that are parsed (money in pounds, dates, whole
numbers, months, years, URNs), plus `source_file` (the file's number in the run) and `source_row`. So a
rule can say "given but not a date" (as delivered present, typed missing) as well as "ends before it
starts" (typed comparison), and every failing row is traced back to its file and line.

`row_key` is the row's key scoped to its file (`3|T0001`), so that one validation over many files still
checks "unique within the file": the same placement id in two monthly snapshots is not a duplicate.

Rules that need the whole file (monthly spend of a ledger line, a `total` row against its groups) are
checked on a file summary that is built from each chunk as it passes, so memory stays bounded by the
batch size, not the file size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from expectations.conform import ConformedTable
from expectations.outcome_indicators import add_indicator_columns
from orchestration.contract import CHARACTERISTICS_BY_GROUP, Dataset
from orchestration.parsing.reading import SOURCE_ROW
from orchestration.parsing.values import PARSERS, money_to_pence

VALUE_SUFFIX = "__value"
READABLE_SUFFIX = "__readable"
"""`<column>__readable`: true, or missing where the column was given but its typed value could not be read.
"Given but not readable" is then one null test, not a test under a row condition (which makes Great
Expectations copy every column of the batch once per parsed column)."""
SOURCE_FILE = "source_file"
"""The file's number among the files checked in this run: which file a failing row came from."""
CHARACTERISTIC_PAIR = "characteristic_pair"
"""`school_outcomes`: `sen_status: ehcp`: "the characteristic belongs to its group" as one set test."""
ROW_KEY = "row_key"
"""The row's key within its file as one text column (`3|T0001`, `3|100001 | 2024/25 | autumn | …`)."""

SCHOOL_OUTCOME_COUNTS = (
    "headcount",
    "suspensions",
    "permanent_exclusions",
    "sessions_possible",
    "sessions_missed",
    "persistent_absentees",
)
_TERM_KEY = ("school_urn", "academic_year", "term")


def value_column(name: str) -> str:
    return f"{name}{VALUE_SUFFIX}"


def readable_column(name: str) -> str:
    return f"{name}{READABLE_SUFFIX}"


def scoped_keys(file_number: int | pd.Series, keys: pd.Series) -> pd.Series:
    """Keys as they appear in `row_key`: prefixed with their file's number (NA stays NA)."""
    if isinstance(file_number, int):
        return f"{file_number}|" + keys.astype("str")
    return file_number.astype("str") + "|" + keys.astype("str")


def validation_frame(
    dataset: Dataset, conformed: ConformedTable, file_numbers: np.ndarray, file_months: np.ndarray
) -> pd.DataFrame:
    """Rows as the suite sees them: columns as delivered, `<column>__value` typed, and derived columns.

    `file_numbers` says which file of the run each row comes from, `file_months` the month in its name
    ('' for a reference file).
    """
    index = conformed.frame.index
    numbers = pd.Series(file_numbers, index=index, dtype="int64")
    frame = pd.DataFrame({SOURCE_FILE: numbers, SOURCE_ROW: conformed.frame[SOURCE_ROW]}, index=index)
    for column in dataset.columns:
        frame[column.name] = conformed.as_delivered[column.name]
        if column.type in PARSERS:
            typed = conformed.frame[column.name]
            if column.type == "money":
                typed = money_to_pence(typed).astype("Float64") / 100
            frame[value_column(column.name)] = typed
            readable = conformed.as_delivered[column.name].isna().to_numpy() | typed.notna().to_numpy()
            frame[readable_column(column.name)] = pd.array(np.where(readable, True, None), dtype="boolean")
    if len(dataset.unique_key) == 1:
        frame[ROW_KEY] = scoped_keys(numbers, frame[dataset.unique_key[0]])
    else:
        parts = [frame[name].fillna("").astype("str") for name in dataset.unique_key]
        joined = parts[0]
        for part in parts[1:]:
            joined = joined + " | " + part
        frame[ROW_KEY] = scoped_keys(numbers, joined)
    if dataset.name == "hn_ledger":
        _add_ledger_columns(frame, pd.Series(file_months, index=index, dtype="str"))
    if dataset.name == "school_outcomes":
        frame[CHARACTERISTIC_PAIR] = frame["characteristic_group"] + ": " + frame["characteristic"]
    if dataset.name == "outcome_indicators":
        frame = add_indicator_columns(frame)
    return frame


def _add_ledger_columns(frame: pd.DataFrame, file_month: pd.Series) -> None:
    """The derived columns of the ledger's row rules, each one vectorised column (GX checks pairs row by row).

    - `period_first_day`: posting_date must fall in or after the accounting month;
    - `file_month` and `period_of_another_month` (the line's period where it is not the file's month, else
      blank): every line of a month's file is for that month;
    - `posting_months_after_period`: calendar months from period to posting_date (0 = the same month).
    """
    period = frame[value_column("period")]
    frame["period_first_day"] = pd.to_datetime(period + "-01", errors="coerce")
    frame["file_month"] = file_month
    frame["period_of_another_month"] = period.where(period != file_month)
    posted = pd.to_datetime(frame[value_column("posting_date")], errors="coerce")
    accounting = frame["period_first_day"]
    months = (posted.dt.year - accounting.dt.year) * 12 + (posted.dt.month - accounting.dt.month)
    frame["posting_months_after_period"] = months.astype("Int64")


# ------------------------------------------------------------------------------------ file summaries


@dataclass
class LedgerMonthlySpend:
    """Spend per accounting month and s251 line, summed chunk by chunk (a few hundred rows per file)."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, frame: pd.DataFrame) -> None:
        usable = frame.dropna(subset=[value_column("period"), "s251_line", value_column("amount_gbp")])
        if usable.empty:
            return
        self.parts.append(
            usable.groupby([value_column("period"), "s251_line"], as_index=False).agg(
                spend_gbp=(value_column("amount_gbp"), "sum"),
                source_row=(SOURCE_ROW, "min"),
                lines=(SOURCE_ROW, "size"),
            )
        )

    def finish(self) -> pd.DataFrame:
        columns = ["period", "s251_line", "spend_gbp", SOURCE_ROW, "lines"]
        if not self.parts:
            return pd.DataFrame(columns=columns)
        combined = pd.concat(self.parts, ignore_index=True).rename(columns={value_column("period"): "period"})
        summary = combined.groupby(["period", "s251_line"], as_index=False).agg(
            spend_gbp=("spend_gbp", "sum"), source_row=(SOURCE_ROW, "min"), lines=("lines", "sum")
        )
        summary["spend_gbp"] = summary["spend_gbp"].astype("float64")
        return summary[columns]


@dataclass
class SchoolOutcomeGroups:
    """The rows needed to test that each `total` row equals the sum of its groups, kept compact."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, frame: pd.DataFrame) -> None:
        keep = {
            SOURCE_ROW: frame[SOURCE_ROW],
            **{
                name: frame[name].astype("category")
                for name in (*_TERM_KEY, "characteristic_group", "characteristic")
            },
            **{name: frame[value_column(name)] for name in SCHOOL_OUTCOME_COUNTS},
        }
        self.parts.append(pd.DataFrame(keep))

    def finish(self) -> pd.DataFrame:
        """One row per `total` row and group: the total's counts beside the sum of the group's rows.

        The contract allows a group's sum to leave out its `unclassified` row (some systems do not
        count unknown ethnicity in the breakdown), so where the total matches the sum without it, that
        sum is the one compared.
        """
        columns = [SOURCE_ROW, *_TERM_KEY, "characteristic_group"]
        for name in SCHOOL_OUTCOME_COUNTS:
            columns += [name, f"{name}__group_sum"]
        if not self.parts:
            return pd.DataFrame(columns=columns)
        rows = pd.concat(
            [
                part.astype({n: "str" for n in (*_TERM_KEY, "characteristic_group", "characteristic")})
                for part in self.parts
            ],
            ignore_index=True,
        )
        key = list(_TERM_KEY)
        totals = rows[(rows["characteristic_group"] == "total") & (rows["characteristic"] == "total")]
        totals = totals.drop_duplicates(subset=key)  # a duplicated total row is reported as a duplicate key
        groups = rows[
            rows["characteristic_group"].isin([g for g in CHARACTERISTICS_BY_GROUP if g != "total"])
        ]
        if totals.empty or groups.empty:
            return pd.DataFrame(columns=columns)
        counts = list(SCHOOL_OUTCOME_COUNTS)
        with_all = groups.groupby([*key, "characteristic_group"], as_index=False)[counts].sum(min_count=1)
        known = groups[groups["characteristic"] != "unclassified"]
        without_unclassified = known.groupby([*key, "characteristic_group"], as_index=False)[counts].sum(
            min_count=1
        )
        merged = totals[[SOURCE_ROW, *key, *counts]].merge(with_all, on=key, suffixes=("", "__all"))
        merged = merged.merge(
            without_unclassified, on=[*key, "characteristic_group"], how="left", suffixes=("", "__known")
        )
        for name in counts:
            total = merged[name]
            known_sum = merged[f"{name}__known"]
            matches_known = (known_sum == total).fillna(False).astype(bool)
            merged[f"{name}__group_sum"] = merged[f"{name}__all"].where(~matches_known, known_sum)
        return merged[columns].sort_values(SOURCE_ROW, kind="stable").reset_index(drop=True)


FileSummary = LedgerMonthlySpend | SchoolOutcomeGroups
"""What a file-level rule is checked on, built chunk by chunk (`add`) and read once the file is done."""


def file_summary_builder(dataset: Dataset) -> FileSummary | None:
    """The summary a dataset's file-level rules need, or None when it has none."""
    if dataset.name == "hn_ledger":
        return LedgerMonthlySpend()
    if dataset.name == "school_outcomes":
        return SchoolOutcomeGroups()
    return None
