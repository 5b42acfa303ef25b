"""The Great Expectations suites say the whole landing contract, one suite per dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from expectations.frames import readable_column
from expectations.report import Finding, agree
from expectations.runner import SuiteRunner
from orchestration.contract import DATASETS
from orchestration.parsing.values import PARSERS
from tests.support.landing import make_upn


@pytest.fixture(scope="module")
def runner() -> SuiteRunner:
    return SuiteRunner()  # an ephemeral Great Expectations context, as `highneeds check` uses


def _by_type(suite, expectation_type: str) -> list:
    return [e for e in suite.expectations if e.expectation_type == expectation_type]


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_contract_rule_of_a_dataset_is_an_expectation_with_a_message(runner: SuiteRunner, name: str):
    dataset = DATASETS[name]
    suite = runner.suite(dataset)
    assert suite.name == name
    not_null = {
        e.column
        for e in _by_type(suite, "expect_column_values_to_not_be_null")
        if not e.meta["rule"].startswith("invalid_")
    }
    assert {c.name for c in dataset.columns if c.required} <= not_null
    parsed = {
        e.column
        for e in _by_type(suite, "expect_column_values_to_not_be_null")
        if e.meta["rule"].startswith("invalid_")
    }
    typed = [c.name for c in dataset.columns if c.type in PARSERS and c.type != "upn"]
    assert {readable_column(name) for name in typed} == parsed
    in_set = {e.column: tuple(e.value_set) for e in _by_type(suite, "expect_column_values_to_be_in_set")}
    for column in dataset.columns:
        if column.codes is not None:
            assert in_set[column.name] == column.codes
    (columns,) = _by_type(suite, "expect_table_columns_to_match_set")
    assert set(columns.column_set) == {c.name for c in dataset.columns if not c.optional_column}
    assert _by_type(suite, "expect_table_row_count_to_be_between")[0].min_value == 1
    key_rules = {e.meta["rule"] for e in suite.expectations if e.meta["rule"].startswith("duplicate_")}
    assert key_rules, "the key is unique"
    for expectation in suite.expectations:
        assert {"rule", "column", "message", "scope"} <= set(expectation.meta)
        finding = Finding(
            expectation.meta["rule"],
            expectation.meta["column"],
            "error",
            expectation.meta["message"],
            count=2,
            examples=["x"],
            reasons=["why"],
        )
        assert "{" not in finding.problem("f.csv").message  # every placeholder is filled


def test_the_rules_beyond_the_column_specs_are_in_the_suites(runner: SuiteRunner):
    rules = {
        name: {e.meta["rule"]: e for e in runner.suite(dataset).expectations}
        for name, dataset in DATASETS.items()
    }
    assert {
        "duplicate_transaction_id_across_deliveries",
        "placement_not_in_snapshot",
        "posting_date_before_period",
        "zero_amount",
        "unusual_monthly_spend",
        "total_row",
        "period_not_file_month",
        "posting_date_too_late",
        "control_total_mismatch",
        "implausible_month_total",
    } <= set(rules["hn_ledger"])
    assert {
        "invalid_upn",
        "end_before_start",
        "negative_amount",
        "implausible_annual_cost",
        "annual_cost_over_limit",
    } <= set(rules["placements"])
    assert "adjustment_for_closed_year" in rules["forecast_adjustments"]
    assert "forecast_without_as_at_month" in rules["dsg_block_outturn"]
    assert "negative_amount" in rules["mitigations"]
    assert {
        "total_not_sum_of_group",
        "sessions_missed_exceed_possible",
        "characteristic_not_in_group",
        "negative_count",
    } <= set(rules["school_outcomes"])
    warnings = {
        rule for by_rule in rules.values() for rule, e in by_rule.items() if e.severity.value == "warning"
    }
    assert warnings == {
        "formula_text",
        "unusual_monthly_spend",
        "implausible_annual_cost",
        "end_reason_while_open",
        "repeated_ledger_line",
        "unusual_month_total",
    }
    assert rules["placements"]["implausible_annual_cost"].max_value == 250_000
    assert rules["placements"]["annual_cost_over_limit"].max_value == 1_000_000
    assert rules["hn_ledger"]["unusual_monthly_spend"].meta["scope"] == "file"


def test_the_upn_check_letter_expectation(runner: SuiteRunner):
    good = make_upn(936, 2001, 12, 7)
    frame = pd.DataFrame(
        {
            "source_row": [2, 3, 4, 5],
            "upn": [good, "A" + good[1:] if good[0] != "A" else "B" + good[1:], good.lower(), None],
        }
    )
    from expectations.custom import ExpectColumnValuesToBeValidUpns

    batch = runner._batch(DATASETS["placements"], frame)
    result = batch.validate(
        ExpectColumnValuesToBeValidUpns(column="upn"),
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["source_row"]},
    )
    assert not result.success
    assert [row["source_row"] for row in result.result["unexpected_index_list"]] == [3]


def test_messages_agree_with_their_counts():
    assert agree("{count} [row looks|rows look] like a total", 1) == "{count} row looks like a total"
    assert agree("{count} [row looks|rows look] like a total", 3) == "{count} rows look like a total"
