"""Parsing landing-file text into money, dates, months, counts and years, with plain-English reasons."""

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from orchestration.parsing.values import (
    PARSERS,
    REASON_DATE,
    REASON_DATE_TWO_DIGIT_YEAR,
    REASON_INT,
    REASON_INT_FRACTION,
    REASON_MONEY,
    REASON_MONEY_DECIMALS,
    REASON_MONEY_SEPARATORS,
    REASON_MONTH,
    as_text,
    money_to_pence,
    number_text,
    parse_academic_year,
    parse_date,
    parse_financial_year,
    parse_int,
    parse_money,
    parse_month,
    parse_urn,
)


def text(*values):
    return pd.Series(list(values), dtype="str")


def one(parser, value):
    """(value, reason) for a single cell."""
    result = parser(text(value))
    reason = result.reasons.iloc[0]
    return result.values.iloc[0], (None if pd.isna(reason) else reason)


# ------------------------------------------------------------------------------------------------ money


def test_pound_sign_and_thousands_separator_are_dropped():
    assert one(parse_money, "£1,234.56") == ("1234.56", None)


def test_accounting_negative_with_thousands_separator_is_a_credit():
    assert one(parse_money, "(1,234.56)") == ("-1234.56", None)


def test_leading_minus_whole_pounds_gets_two_decimals():
    assert one(parse_money, "-5") == ("-5.00", None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-£5.5", "-5.50"),
        ("£-5", "-5.00"),
        ("(£12.30)", "-12.30"),
        ("£(1,000)", "-1000.00"),
        ("  £ 1,234,567.8  ", "1234567.80"),
        (".5", "0.50"),
        ("0012.30", "12.30"),
        ("1234.5", "1234.50"),
        ("Â£3.00", "3.00"),  # a pound sign mangled by a double encoding upstream
        ("\u00a0250\u00a0", "250.00"),  # non-breaking spaces around a value pasted from a web page
    ],
)
def test_money_forms_the_contract_allows(raw, expected):
    assert one(parse_money, raw) == (expected, None)


def test_negative_zero_is_plain_zero():
    assert parse_money(text("(0.00)", "-0")).values.tolist() == ["0.00", "0.00"]


def test_three_decimal_places_are_refused_not_rounded():
    value, reason = one(parse_money, "1.234")
    assert pd.isna(value)
    assert reason == REASON_MONEY_DECIMALS == "money with more than 2 decimal places (pounds and pence only)"


def test_comma_that_does_not_separate_thousands_is_refused_as_a_possible_decimal_comma():
    value, reason = one(parse_money, "12,34")
    assert pd.isna(value)
    assert reason == REASON_MONEY_SEPARATORS
    assert "decimal commas" in reason


@pytest.mark.parametrize(
    "raw", ["()", "(5", "5)", "abc", "12.", "5-", "1 234", "--5", "£", "(-5)", "1e3", "£12 GBP"]
)
def test_things_that_are_not_money_are_refused_with_the_forms_to_use(raw):
    value, reason = one(parse_money, raw)
    assert pd.isna(value)
    assert reason == REASON_MONEY
    assert "1,234.56" in reason


def test_absurdly_large_amount_is_refused():
    value, reason = one(parse_money, "12345678901234567")
    assert pd.isna(value)
    assert "too large" in reason


def test_blank_money_is_unknown_not_zero():
    result = parse_money(pd.Series(["", "   ", None, "0"], dtype="str"))
    assert result.blank.tolist() == [True, True, True, False]
    assert result.invalid.tolist() == [False, False, False, False]
    assert result.values.isna().tolist() == [True, True, True, False]
    assert result.values.iloc[3] == "0.00"


def test_invalid_rows_are_identified_by_their_index():
    result = parse_money(pd.Series(["1.00", "x", "2.00", "1.999"], index=[10, 11, 12, 13], dtype="str"))
    assert result.problems().index.tolist() == [11, 13]
    assert result.n_invalid == 2


def test_pence_are_exact_integers():
    values = parse_money(text("£1,234.56", "(0.50)", "", "-5")).values
    assert money_to_pence(values).tolist() == [123456, -50, pd.NA, -500]


def test_normalised_money_sums_to_the_penny_in_duckdb():
    # 0.10 + 0.20 in binary floating point is 0.30000000000000004: DECIMAL keeps the pennies exact
    values = parse_money(text("0.10", "0.20", "(0.30)", "£1,000,000.01")).values
    connection = duckdb.connect()
    connection.register("ledger", pd.DataFrame({"amount": values}))
    total = connection.sql("select sum(cast(amount as decimal(18,2))) from ledger").fetchall()[0][0]
    assert total == Decimal("1000000.01")


def test_money_parses_each_distinct_value_once_and_maps_back_to_every_row():
    result = parse_money(pd.Series(["(1.00)", "x"] * 3, dtype="str"))
    assert result.values.tolist()[::2] == ["-1.00"] * 3
    assert result.invalid.tolist() == [False, True] * 3


# ------------------------------------------------------------------------------------------------ dates


def test_iso_date_is_read():
    assert one(parse_date, "2025-10-03") == (pd.Timestamp(2025, 10, 3), None)


def test_uk_date_is_read_day_first():
    assert one(parse_date, "03/04/2021") == (pd.Timestamp(2021, 4, 3), None)


def test_uk_date_without_leading_zeros_is_read():
    assert one(parse_date, "3/4/2021") == (pd.Timestamp(2021, 4, 3), None)


def test_us_order_date_is_refused_not_guessed():
    value, reason = one(parse_date, "12/31/2023")
    assert pd.isna(value)
    assert (
        reason
        == "there is no month 31 in a year; dates are read day first (DD/MM/YYYY), never US month-first"
    )


def test_two_digit_year_is_refused_as_ambiguous():
    value, reason = one(parse_date, "03/04/21")
    assert pd.isna(value)
    assert reason == REASON_DATE_TWO_DIGIT_YEAR


def test_29_february_in_a_leap_year_is_valid():
    assert one(parse_date, "29/02/2024") == (pd.Timestamp(2024, 2, 29), None)


def test_29_february_outside_a_leap_year_is_invalid():
    value, reason = one(parse_date, "29/02/2023")
    assert pd.isna(value)
    assert reason == "there is no day 29 in February 2023"


def test_impossible_iso_date_says_which_day_does_not_exist():
    assert one(parse_date, "2023-02-30")[1] == "there is no day 30 in February 2023"
    assert one(parse_date, "2024-04-31")[1] == "there is no day 31 in April 2024"


def test_excel_datetime_text_at_midnight_is_a_date():
    assert one(parse_date, "2025-10-03 00:00:00") == (pd.Timestamp(2025, 10, 3), None)


def test_timestamps_and_python_dates_are_accepted():
    result = parse_date(pd.Series([pd.Timestamp("2025-10-03"), dt.date(2024, 2, 29), None], dtype=object))
    assert result.values.tolist()[:2] == [pd.Timestamp(2025, 10, 3), pd.Timestamp(2024, 2, 29)]
    assert result.blank.tolist() == [False, False, True]


def test_datetime_column_is_accepted():
    result = parse_date(pd.Series(pd.to_datetime(["2025-10-03", None])))
    assert result.values.iloc[0] == pd.Timestamp(2025, 10, 3)
    assert result.invalid.tolist() == [False, False]
    assert result.blank.tolist() == [False, True]


@pytest.mark.parametrize(
    "raw", ["03-04-2021", "2021/04/03", "3 April 2021", "20210403", "0000-01-01", "tomorrow"]
)
def test_other_date_shapes_are_refused(raw):
    value, reason = one(parse_date, raw)
    assert pd.isna(value)
    assert reason == REASON_DATE == "not a date in YYYY-MM-DD or DD/MM/YYYY form"


def test_month_13_in_an_iso_date_is_explained():
    assert one(parse_date, "2025-13-01")[1] == "there is no month 13 in a year"


def test_blank_date_is_unknown():
    result = parse_date(text("", " "))
    assert result.blank.all()
    assert not result.invalid.any()
    assert result.values.isna().all()


# ----------------------------------------------------------------------------------------------- months


def test_month_is_read():
    assert one(parse_month, "2025-10") == ("2025-10", None)


def test_first_of_month_date_from_excel_is_that_month():
    assert one(parse_month, "2025-10-01") == ("2025-10", None)
    assert one(parse_month, "2025-10-01 00:00:00") == ("2025-10", None)


def test_other_day_of_month_is_not_a_month():
    assert one(parse_month, "2025-10-02")[1] == REASON_MONTH


def test_month_13_is_refused():
    assert one(parse_month, "2025-13")[1] == "there is no month 13 in a year"


@pytest.mark.parametrize("raw", ["10/2025", "2025-1", "Oct-25", "202510"])
def test_other_month_shapes_are_refused(raw):
    value, reason = one(parse_month, raw)
    assert pd.isna(value)
    assert reason == REASON_MONTH


# ------------------------------------------------------------------------------------------------- ints


@pytest.mark.parametrize(
    ("raw", "expected"), [("12", 12), ("12.0", 12), ("1,234", 1234), ("007", 7), ("0", 0)]
)
def test_whole_numbers_including_excel_decimal_zero(raw, expected):
    assert one(parse_int, raw) == (expected, None)


def test_negative_whole_number_is_parsed_for_the_caller_to_judge():
    assert one(parse_int, "-1") == (-1, None)


def test_fraction_is_not_a_whole_number():
    value, reason = one(parse_int, "1.5")
    assert pd.isna(value)
    assert reason == REASON_INT_FRACTION


@pytest.mark.parametrize("raw", ["abc", "1e3", "12.", "+5", "1 000"])
def test_other_texts_are_not_whole_numbers(raw):
    assert one(parse_int, raw)[1] == REASON_INT


def test_int_values_are_nullable_integers_with_blank_as_missing():
    result = parse_int(text("3", "", "4"))
    assert str(result.values.dtype) == "Int64"
    assert result.values.tolist() == [3, pd.NA, 4]
    assert result.blank.tolist() == [False, True, False]


# ------------------------------------------------------------------------------------------------ years


def test_financial_year_is_read():
    assert one(parse_financial_year, "2025-26") == ("2025-26", None)


def test_financial_year_across_the_century():
    assert one(parse_financial_year, "1999-00") == ("1999-00", None)


def test_financial_year_second_part_must_follow_the_first():
    assert one(parse_financial_year, "2025-27")[1] == "the second year must follow the first (2025-26)"


def test_academic_year_form_is_refused_as_a_financial_year_and_says_why():
    reason = one(parse_financial_year, "2025/26")[1]
    assert reason == "not a financial year written like 2025-26: 2025/26 is how an academic year is written"


@pytest.mark.parametrize("raw", ["2025-2026", "25-26", "FY2025-26", "2025"])
def test_other_financial_year_shapes_are_refused(raw):
    assert one(parse_financial_year, raw)[1] == "not a financial year written like 2025-26"


def test_academic_year_is_read():
    assert one(parse_academic_year, "2025/26") == ("2025/26", None)


def test_academic_year_second_part_must_follow_the_first():
    assert one(parse_academic_year, "2025/25")[1] == "the second year must follow the first (2025/26)"


def test_financial_year_form_is_refused_as_an_academic_year():
    assert "2025-26 is how a financial year is written" in one(parse_academic_year, "2025-26")[1]


# ------------------------------------------------------------------------------------------------- URNs


def test_urn_keeps_leading_zeros_and_accepts_ukprn():
    result = parse_urn(text("010203", "10012345", "12345", "AB1234"))
    assert result.values.tolist()[:2] == ["010203", "10012345"]
    assert result.invalid.tolist() == [False, False, True, True]
    assert result.reasons.iloc[2] == "not a 6-digit URN or an 8-digit UKPRN"


# ------------------------------------------------------------------------------------------ text helpers


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (12.0, "12"),
        (1234.5600000000002, "1234.56"),
        (1e-7, "0.0000001"),
        (7, "7"),
        (-0.5, "-0.5"),
        (True, "TRUE"),
    ],
)
def test_numbers_become_the_text_a_person_typed(number, expected):
    assert number_text(number) == expected


def test_as_text_strips_and_turns_blanks_into_missing():
    converted = as_text(pd.Series([" a ", "", None, 3.0], dtype=object))
    assert converted.isna().tolist() == [False, True, True, False]
    assert converted.iloc[[0, 3]].tolist() == ["a", "3"]


def test_every_typed_column_type_of_the_contract_has_a_parser():
    from orchestration.contract import DATASETS

    typed = {c.type for d in DATASETS.values() for c in d.columns} - {"text", "code"}
    assert typed <= set(PARSERS)


@pytest.mark.parametrize("parser", list(PARSERS.values()))
def test_every_parser_handles_an_empty_column_and_an_all_blank_column(parser):
    empty = parser(pd.Series([], dtype="str"))
    assert len(empty.values) == 0
    assert empty.n_invalid == 0
    blank = parser(pd.Series(["", None], dtype="str", index=[5, 6], name="cell"))
    assert blank.blank.tolist() == [True, True]
    assert blank.invalid.tolist() == [False, False]
    assert blank.values.index.tolist() == [5, 6]
    assert blank.values.name == "cell"
