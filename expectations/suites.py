"""One Great Expectations suite per landing dataset, built from the contract's specs.

`build_suite(dataset)` turns `orchestration/contract.py` into expectations: the columns present, required
values given, values that parse as the column's type, accepted codes, UPN check letters, unique keys; then
the rules of each dataset that the column specs cannot say (ranges, cross-field and cross-file rules,
`total` rows, plausibility warnings) from `_DATASET_RULES`.

Each expectation carries in its `meta` what a finance officer is told when it fails:
- `rule`: a short id (`invalid_date`, `end_before_start`), `column`: the contract column to name;
- `message`: the sentence, with `{count}`, `{examples}`, `[singular|plural]` and rule fields filled in;
- `example`: how one failing row is shown (default: the value as delivered), `parsed_type`: for reasons;
- `scope`: `rows` (run on every chunk of the file) or `file` (run once on the file's summary).
Severity is Great Expectations' own: `critical` refuses the file, `warning` is shown and does not block.

The suites run on the tables of `frames.py`, many files at once: a contract column as delivered is under
its own name, its typed value under `<column>__value`, and keys scoped to their file under `row_key`. Values
that depend on the warehouse or on other chunks and files (ids already used, placements in the newest
snapshot) are `$PARAMETER`s supplied at validation time (`context.py`).
Great Expectations builds suites inside a context: get them through `runner.SuiteRunner`.

To add a rule: a row-level rule is one more `_expect(...)` in the dataset's list in `_DATASET_RULES` (give
`frames.py` a derived column if it needs one); a file-level rule uses `scope=FILE` on a column of the file
summary (`frames.file_summary_builder`); a rule against the warehouse or other files gets its values from a
`$PARAMETER` computed in `context.ValidationContext.chunk_parameters` (add its name to `PARAMETERS`).
"""

from __future__ import annotations

from collections.abc import Callable

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column as RowColumn

from expectations.custom import ExpectColumnValuesToBeValidUpns
from expectations.frames import (
    CHARACTERISTIC_PAIR,
    ROW_KEY,
    SCHOOL_OUTCOME_COUNTS,
    readable_column,
    value_column,
)
from expectations.outcome_indicators import PERIOD_EXPECTED, VALUE_MAX, VALUE_MIN, indicator_ids
from expectations.rules import (
    CONTROL_TOTAL_TOLERANCE_GBP,
    FORMULA_START_REGEX,
    MAX_ANNUAL_COST_GBP,
    MAX_PLAUSIBLE_ANNUAL_COST_GBP,
    MAX_POSTING_MONTHS_AFTER_PERIOD,
    MONTH_TOTAL_REFUSED_FACTOR,
    MONTH_TOTAL_WARNED_FACTOR,
    TOTAL_ROW_REGEX,
    UNUSUAL_MONTH_FACTOR,
    key_column_label,
)
from orchestration.contract import CHARACTERISTICS_BY_GROUP, DATASETS, Column, Dataset
from orchestration.parsing.values import PARSERS

ROWS = "rows"
FILE = "file"
ERROR = "critical"
WARNING = "warning"

_TYPE_WORDS = {
    "money": "an amount of money",
    "date": "a date",
    "month": "a month",
    "int": "a whole number",
    "financial_year": "a financial year",
    "academic_year": "an academic year",
    "urn": "a URN or UKPRN",
    "number": "a number",
    "period": "a period (2025/26, 2025-26 or 2025-10)",
}
_CODE_NOTES = {
    ("placements", "primary_need"): "; NSA is for SEN support only and is never the primary need on an EHCP",
}


def _expect(
    expectation_class: type,
    *,
    rule: str,
    about: str | None,
    message: str,
    severity: str = ERROR,
    scope: str = ROWS,
    example: str | None = None,
    parsed_type: str | None = None,
    **kwargs: object,
):
    """An expectation whose meta turns its failure into a message; `about` is the column the message names."""
    meta = {"rule": rule, "column": about, "message": message, "scope": scope}
    if example:
        meta["example"] = example
    if parsed_type:
        meta["parsed_type"] = parsed_type
    return expectation_class(severity=severity, meta=meta, **kwargs)


# ------------------------------------------------------------------------------------------ contract


def _column_expectations(dataset: Dataset, column: Column) -> list:
    name = column.name
    found: list = []
    if column.required:
        found.append(
            _expect(
                gxe.ExpectColumnValuesToNotBeNull,
                rule="required_value_missing",
                about=name,
                column=name,
                message=f"{{count}} [value is|values are] blank, but {name} is required",
            )
        )
    if column.type == "upn":
        found.append(
            _expect(
                ExpectColumnValuesToBeValidUpns,
                rule="invalid_upn",
                about=name,
                column=name,
                parsed_type="upn",
                message="{count} [UPN is|UPNs are] not valid: {reasons} ({examples})",
            )
        )
    elif column.type in PARSERS:
        found.append(_parse_expectation(column))
    if column.codes is not None:
        allowed = ", ".join(column.codes) if len(column.codes) <= 15 else "the codes in reference.md"
        note = _CODE_NOTES.get((dataset.name, name), "")
        found.append(
            _expect(
                gxe.ExpectColumnValuesToBeInSet,
                rule="unknown_code",
                about=name,
                column=name,
                value_set=list(column.codes),
                message=f"{{count}} [value is|values are] not an accepted {name} ({{examples}}); allowed: "
                f"{allowed}{note}",
            )
        )
    if column.type == "text" and not column.personal:
        found.append(
            _expect(
                gxe.ExpectColumnValuesToNotMatchRegex,
                rule="formula_text",
                about=name,
                column=name,
                severity=WARNING,
                regex=FORMULA_START_REGEX,
                message="{count} [value starts|values start] with =, +, - or @ and would run as a formula "
                "in a spreadsheet ({examples}); [it is|they are] kept as text and shown with a leading ' in "
                "every report",
            )
        )
    if (column.type == "text" and not column.personal) or column is dataset.columns[0]:
        found.append(
            _expect(
                gxe.ExpectColumnValuesToNotMatchRegex,
                rule="total_row",
                about=name,
                column=name,
                regex=TOTAL_ROW_REGEX,
                message="{count} [row looks|rows look] like a totals row ('Total' in "
                f"{name}): remove total and subtotal rows from the extract; the platform adds the lines up "
                "itself",
            )
        )
    return found


def _parse_expectation(column: Column):
    """Given (not blank) but not readable as the column's type: the typed value is missing."""
    return _expect(
        gxe.ExpectColumnValuesToNotBeNull,
        rule=f"invalid_{column.type}",
        about=column.name,
        column=readable_column(column.name),
        parsed_type=column.type,
        message=f"{{count}} [value|values] could not be read as {_TYPE_WORDS[column.type]}: {{reasons}} "
        "({examples})",
    )


def _uniqueness_expectations(dataset: Dataset) -> list:
    """A key appears once in its file: within the rows validated together, and against earlier chunks.

    Both run on `row_key` (the key prefixed with its file's number), so many files validated together are
    each held to their own uniqueness, never to each other's.
    """
    keys = dataset.unique_key
    label = key_column_label(dataset)
    if len(keys) == 1:
        key = keys[0]
        rule, example = f"duplicate_{key}", None
        message = (
            f"{{count}} [row shares its|rows share their] {key} with another row of this file "
            f"({{examples}}); each {key} must appear once"
        )
    else:
        key, rule, example = label, "duplicate_row", " ".join(f"{{{part}}}" for part in keys)
        message = (
            f"{{count}} [row repeats|rows repeat] the {label} of another row of this file ({{examples}}); "
            "each must appear once"
        )
    within = _expect(
        gxe.ExpectColumnValuesToBeUnique,
        rule=rule,
        about=key,
        column=ROW_KEY,
        message=message,
        example=example,
    )
    across = _expect(
        gxe.ExpectColumnValuesToNotBeInSet,
        rule=rule,
        about=key,
        column=ROW_KEY,
        message=message,
        example=example,
        value_set={"$PARAMETER": "keys_in_earlier_chunks"},
    )
    return [within, across]


def _table_expectations(dataset: Dataset) -> list:
    why = (
        "an empty month is a broken extract, not a month without spend"
        if dataset.periodic
        else "a reference file is delivered whole, so an empty one would wipe the table"
    )
    required = [column.name for column in dataset.columns if not column.optional_column]
    return [
        # The reader refuses a missing column first, naming what it was probably renamed to.
        _expect(
            gxe.ExpectTableColumnsToMatchSet,
            rule="missing_column",
            about=None,
            column_set=required,
            exact_match=False,
            message=f"the header row is missing some of the columns {', '.join(required)}",
        ),
        _expect(
            gxe.ExpectTableRowCountToBeBetween,
            rule="no_data_rows",
            about=None,
            min_value=1,
            message=f"the file has a header but no data rows: {why}",
        ),
    ]


# ------------------------------------------------------------------------------------- dataset rules


def _not_negative(column: str, why: str, rule: str = "negative_amount") -> object:
    return _expect(
        gxe.ExpectColumnValuesToBeBetween,
        rule=rule,
        about=column,
        column=value_column(column),
        min_value=0,
        message=f"{{count}} [value is|values are] below zero ({{examples}}): {why}",
    )


def _ends_before_start(start: str, end: str, what: str) -> object:
    return _expect(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB,
        rule="end_before_start",
        about=end,
        column_A=value_column(end),
        column_B=value_column(start),
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        example=f"{start} {{{start}}}, {end} {{{end}}}",
        message=f"{{count}} [{what} ends|{what}s end] before [it starts|they start] ({{examples}}): "
        f"{end} must not be before {start}",
    )


def _ledger_rules() -> list:
    return [
        _expect(
            gxe.ExpectColumnValuesToNotBeInSet,
            rule="duplicate_transaction_id_across_deliveries",
            about="transaction_id",
            column=ROW_KEY,
            value_set={"$PARAMETER": "transaction_ids_in_other_deliveries"},
            message="{count} transaction [id was|ids were] already loaded from {other_files} ({examples}): a "
            "transaction id is unique across all months; to correct an earlier month, deliver that "
            "month's file again",
        ),
        # Expressed as "not in the (usually empty) set of unknown ids": GX copies a value set many times
        # per validation, so passing the snapshot's thousands of known ids made each chunk take seconds.
        _expect(
            gxe.ExpectColumnValuesToNotBeInSet,
            rule="placement_not_in_snapshot",
            about="placement_id",
            column="placement_id",
            value_set={"$PARAMETER": "placement_ids_not_in_newest_snapshot"},
            message="{count} [placement_id is|placement_ids are] not in {snapshot} ({examples}): a line "
            "paying for a placement must name a placement the case-management system knows",
        ),
        _expect(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            rule="posting_date_before_period",
            about="posting_date",
            column_A=value_column("posting_date"),
            column_B="period_first_day",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            example="posted {posting_date} to {period}",
            message="{count} [line is|lines are] posted before [its|their] accounting month ({examples}): "
            "posting_date must fall in or after period",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeNull,
            rule="period_not_file_month",
            about="period",
            column="period_of_another_month",
            example="period {period} in the file for {file_month}",
            message="{count} [line is|lines are] for another month than the one the file is named for "
            "({examples}): every line of a month's file is for that month; a correction to another month "
            "is a new delivery of that month's file",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="posting_date_too_late",
            about="posting_date",
            column="posting_months_after_period",
            max_value=MAX_POSTING_MONTHS_AFTER_PERIOD,
            example="posted {posting_date} to {period}",
            message=f"{{count}} [line is|lines are] posted more than {MAX_POSTING_MONTHS_AFTER_PERIOD} "
            "months after [its|their] accounting month ({examples}): posting_date must fall within period "
            f"or up to {MAX_POSTING_MONTHS_AFTER_PERIOD} months after it; check the date",
        ),
        _expect(
            gxe.ExpectColumnValuesToNotBeInSet,
            rule="repeated_ledger_line",
            about="transaction_id",
            column=ROW_KEY,
            severity=WARNING,
            value_set={"$PARAMETER": "repeated_ledger_lines"},
            example="posted {posting_date}, £{amount_gbp}",
            message="{count} [line repeats|lines repeat] an earlier line of this file under another "
            "transaction id, with the same posting date, amount, placement and description ({examples}): "
            "check the extract for lines posted twice",
        ),
        _expect(
            gxe.ExpectColumnValuesToNotBeInSet,
            rule="zero_amount",
            about="amount_gbp",
            column=value_column("amount_gbp"),
            value_set=[0],
            message="{count} [line is|lines are] for £0: a ledger line must move money (credits are "
            "negative)",
        ),
        _expect(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            rule="unusual_monthly_spend",
            about="amount_gbp",
            severity=WARNING,
            scope=FILE,
            column_A="unusual_above_gbp",
            column_B="spend_gbp",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            example="s251 line {s251_line} in {period}: £{spend_gbp:,.0f} against a usual £"
            "{usual_monthly_spend_gbp:,.0f}",
            message=f"{{count}} [month's spend on an s251 line is|months' spend on s251 lines are] more "
            f"than {UNUSUAL_MONTH_FACTOR}× the usual month ({{examples}}): check for lines posted twice or "
            "to the wrong month",
        ),
        *_ledger_month_rules(),
    ]


def _ledger_month_rules() -> list:
    """The month as a whole (file summary, `context._with_month_and_control_totals`): control totals, and
    the month's total against the median of the months loaded before it."""
    refused, warned = MONTH_TOTAL_REFUSED_FACTOR, MONTH_TOTAL_WARNED_FACTOR
    against_median = (
        "{period}: £{spend_gbp:,.0f} against a median month of £{median_month_gbp:,.0f} over the "
        "{months_in_median:.0f} months before it"
    )
    return [
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="control_total_mismatch",
            about="amount_gbp",
            scope=FILE,
            column="control_difference_gbp",
            min_value=-CONTROL_TOTAL_TOLERANCE_GBP,
            max_value=CONTROL_TOTAL_TOLERANCE_GBP,
            example="{period} {what}: ledger £{spend_gbp:,.2f}, control total £{control_total_gbp:,.2f}, "
            "difference £{control_difference_gbp:,.2f}",
            message=f"{{count}} [total differs|totals differ] from ledger_control_totals by more than "
            f"£{CONTROL_TOTAL_TOLERANCE_GBP:,.2f} ({{examples}}): the extract is incomplete or holds lines "
            "it should not; deliver the month again, or correct the control total",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="implausible_month_total",
            about="amount_gbp",
            scope=FILE,
            column="unreconciled_month_vs_median",
            min_value=1 / refused,
            max_value=refused,
            example=against_median,
            message=f"the month's total is more than {refused}× or less than a fifth of the median month "
            "({examples}): check for a missing decimal point, lines posted twice or a part extract; if "
            "the total is right, give the month's control total in ledger_control_totals and it will load",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="unusual_month_total",
            about="amount_gbp",
            scope=FILE,
            severity=WARNING,
            column="month_vs_median_to_warn",
            min_value=1 / warned,
            max_value=warned,
            example=against_median,
            message=f"the month's total is more than {warned}× or less than half of the median month "
            "({examples}): check it is complete and posted once",
        ),
    ]


def _placements_rules() -> list:
    return [
        _ends_before_start("placement_start", "placement_end", "placement"),
        _not_negative("annual_cost_gbp", "annual_cost_gbp is the agreed annual cost and cannot be negative"),
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="annual_cost_over_limit",
            about="annual_cost_gbp",
            column=value_column("annual_cost_gbp"),
            max_value=MAX_ANNUAL_COST_GBP,
            message=f"{{count}} [placement costs|placements cost] more than £{MAX_ANNUAL_COST_GBP:,} a "
            "year ({examples}): no placement costs that much; check for a total, a missing decimal point "
            "or a cost in pence",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeBetween,
            rule="implausible_annual_cost",
            about="annual_cost_gbp",
            column=value_column("annual_cost_gbp"),
            severity=WARNING,
            row_condition=RowColumn(value_column("annual_cost_gbp")) <= MAX_ANNUAL_COST_GBP,
            max_value=MAX_PLAUSIBLE_ANNUAL_COST_GBP,
            message=f"{{count}} [placement costs|placements cost] more than "
            f"£{MAX_PLAUSIBLE_ANNUAL_COST_GBP:,} "
            "a year ({examples}): check [it is an annual cost|they are annual costs], not a total or a typo",
        ),
        _expect(
            gxe.ExpectColumnValuesToBeNull,
            rule="end_reason_while_open",
            about="end_reason",
            column="end_reason",
            severity=WARNING,
            row_condition=RowColumn("placement_end").is_null(),
            message="{count} open [placement has|placements have] an end_reason ({examples}): end_reason "
            "stays blank until the placement ends",
        ),
    ]


def _school_outcomes_rules() -> list:
    pairs = [
        (group, characteristic)
        for group, members in CHARACTERISTICS_BY_GROUP.items()
        for characteristic in members
    ]
    rules: list = [
        _not_negative(count, "counts are whole numbers of 0 or more", rule="negative_count")
        for count in SCHOOL_OUTCOME_COUNTS
    ]
    rules += [
        _expect(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            rule="sessions_missed_exceed_possible",
            about="sessions_missed",
            column_A=value_column("sessions_possible"),
            column_B=value_column("sessions_missed"),
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            example="{sessions_missed} missed of {sessions_possible}",
            message="{count} [row has|rows have] more sessions missed than possible ({examples})",
        ),
        # On one derived column: Great Expectations checks column pairs row by row in Python (seconds).
        _expect(
            gxe.ExpectColumnValuesToBeInSet,
            rule="characteristic_not_in_group",
            about="characteristic",
            column=CHARACTERISTIC_PAIR,
            value_set=[f"{group}: {characteristic}" for group, characteristic in pairs],
            example="{characteristic_group}: {characteristic}",
            message="{count} [row has|rows have] a characteristic that does not belong to [its|their] "
            "characteristic_group ({examples})",
        ),
    ]
    rules += [
        _expect(
            gxe.ExpectColumnPairValuesToBeEqual,
            rule="total_not_sum_of_group",
            about=count,
            scope=FILE,
            column_A=count,
            column_B=f"{count}__group_sum",
            ignore_row_if="either_value_is_missing",
            example=f"school {{school_urn}} {{academic_year}} {{term}}: total {{{count}}}, "
            f"{{characteristic_group}} rows add up to {{{count}__group_sum}}",
            message=f"{{count}} 'total' [row does|rows do] not equal the sum of [its|their] group's rows in "
            f"{count} ({{examples}})",
        )
        for count in SCHOOL_OUTCOME_COUNTS
    ]
    return rules


def _forecast_adjustments_rules() -> list:
    return [
        _expect(
            gxe.ExpectColumnValuesToNotBeInSet,
            rule="adjustment_for_closed_year",
            about="financial_year",
            column=ROW_KEY,
            value_set={"$PARAMETER": "adjustments_in_closed_years"},
            example="{financial_year} from {as_from_month}, s251 line {s251_line}",
            message="{count} [adjustment is|adjustments are] for a financial year that is closed, its March "
            "ledger month being loaded ({examples}): a closed year has an outturn, not a forecast; remove "
            "the [row|rows] (an adjustment loaded while its year was open may stay in the file as it was)",
        ),
    ]


def _dsg_block_outturn_rules() -> list:
    return [
        _expect(
            gxe.ExpectColumnValuesToNotBeNull,
            rule="forecast_without_as_at_month",
            about="as_at_month",
            column="as_at_month",
            row_condition=RowColumn("status") == "forecast",
            message="{count} forecast [row has|rows have] no as_at_month: a forecast is made as at a month; "
            "give that month (YYYY-MM)",
        ),
    ]


def _outcome_indicators_rules() -> list:
    """Supplied indicators held to the outcomes catalogue (see `expectations/outcome_indicators.py`)."""
    return [
        _expect(
            gxe.ExpectColumnValuesToBeInSet,
            rule="unknown_indicator",
            about="indicator_id",
            column="indicator_id",
            value_set=indicator_ids(),
            message="{count} [row names an indicator|rows name indicators] the outcomes framework does not "
            "have ({examples}): use an indicator_id of config/outcomes_framework.yaml, or add the indicator "
            "there first",
        ),
        *(
            _expect(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB,
                rule="value_outside_unit_range",
                about="value",
                column_A=column_a,
                column_B=column_b,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                example="{indicator_id} {period}: {value}",
                message="{count} [value is|values are] outside [its|their] indicator's unit ({examples}): a "
                "percentage lies between 0 and 100; counts, rates, ratios, money and days are 0 or more",
            )
            for column_a, column_b in ((value_column("value"), VALUE_MIN), (VALUE_MAX, value_column("value")))
        ),
        _expect(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB,
            rule="numerator_exceeds_denominator",
            about="numerator",
            column_A=value_column("denominator"),
            column_B=value_column("numerator"),
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            example="{indicator_id} {period}: {numerator} of {denominator}",
            message="{count} [row has a numerator|rows have numerators] larger than [its|their] denominator "
            "({examples}): the numerator counts part of the denominator",
        ),
        *(
            _not_negative(count, "a numerator or denominator counts something", rule="negative_count")
            for count in ("numerator", "denominator")
        ),
        _expect(
            gxe.ExpectColumnValuesToBeNull,
            rule="period_not_of_indicator_kind",
            about="period",
            column=PERIOD_EXPECTED,
            example="{indicator_id} {period}: needs {period_expected}",
            message="{count} [period is|periods are] not of the kind [its|their] indicator is measured in "
            "({examples})",
        ),
    ]


_DATASET_RULES: dict[str, Callable[[], list]] = {
    "hn_ledger": _ledger_rules,
    "hn_budget": lambda: [_not_negative("amount_gbp", "budgets are positive amounts")],
    "dsg_funding": lambda: [
        _not_negative("allocation_gbp", "an allocation is a positive amount"),
        _not_negative("deductions_gbp", "deductions (recoupment) are written as a positive number"),
    ],
    "placements": _placements_rules,
    "school_outcomes": _school_outcomes_rules,
    "schools": lambda: [_ends_before_start("opened_on", "closed_on", "school")],
    "interventions": lambda: [
        _ends_before_start("start_date", "end_date", "programme"),
        _not_negative("cost_gbp", "a programme's cost cannot be negative"),
    ],
    "forecast_adjustments": _forecast_adjustments_rules,
    "dsg_block_outturn": _dsg_block_outturn_rules,
    "mitigations": lambda: [
        _not_negative("target_saving_gbp", "a saving target is 0 or more"),
        _not_negative("delivered_saving_gbp", "a delivered saving is 0 or more (blank while not yet known)"),
    ],
    "outcome_indicators": _outcome_indicators_rules,
}


def build_suite(dataset_name: str) -> gx.ExpectationSuite:
    """The dataset's suite: contract columns, keys and table first, then the dataset's own rules."""
    dataset = DATASETS[dataset_name]
    expectations = [*_table_expectations(dataset)]
    for column in dataset.columns:
        expectations += _column_expectations(dataset, column)
    expectations += _uniqueness_expectations(dataset)
    expectations += _DATASET_RULES.get(dataset.name, list)()
    for number, expectation in enumerate(expectations):
        expectation.meta["number"] = number  # results come back in another order: this finds them
    # given whole: `add_expectation` compares each new expectation with all before it and asks the
    # context's store whether the suite was saved, every time (0.9 s for the ledger's suite in a run)
    return gx.ExpectationSuite(
        name=dataset.name,
        meta={"notes": f"Landing contract for `{dataset.name}`: {dataset.description}."},
        expectations=expectations,
    )


def all_suites() -> list[gx.ExpectationSuite]:
    return [build_suite(name) for name in DATASETS]
