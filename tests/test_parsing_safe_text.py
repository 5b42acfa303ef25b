"""Formula-injection guard: text that a spreadsheet would run is prefixed with `'`, numbers are not."""

import pandas as pd
import pytest

from orchestration.parsing.safe_text import neutralise_formula, neutralise_formulas


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+1", "'+1+1"),
        ("-1+2", "'-1+2"),  # Excel evaluates this: a sum, not a number
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
    ],
)
def test_text_that_starts_like_a_formula_gets_a_quote_prefix(text, expected):
    assert neutralise_formula(text) == expected


@pytest.mark.parametrize("number", ["-12.50", "+5", "-1,234.56", "-.5", "-0", "12"])
def test_plain_numbers_starting_with_a_sign_stay_numbers(number):
    assert neutralise_formula(number) == number


@pytest.mark.parametrize("text", ["Top-up for autumn", "", "1.2.10", "a=b", "£-5"])
def test_ordinary_text_is_unchanged(text):
    assert neutralise_formula(text) == text


def test_series_version_prefixes_only_formulas_and_keeps_missing_values():
    result = neutralise_formulas(pd.Series(["=1+1", "-12.50", None, "ok", "@x"], dtype="str"))
    assert result.iloc[[0, 1, 3, 4]].tolist() == ["'=1+1", "-12.50", "ok", "'@x"]
    assert pd.isna(result.iloc[2])


def test_series_version_leaves_numbers_in_mixed_columns_alone():
    result = neutralise_formulas(pd.Series(["=cmd", -12.5, None], dtype=object))
    assert result.tolist() == ["'=cmd", -12.5, None]


def test_numeric_series_is_returned_as_is():
    numbers = pd.Series([-1.5, 2.0])
    assert neutralise_formulas(numbers).tolist() == [-1.5, 2.0]


def test_series_version_agrees_with_the_single_value_version():
    texts = ["=1", "+5", "-1+2", "-", "@a", "\tb", "plain", "-1,234.56", "+-5", "1e5", "-1e5"]
    assert neutralise_formulas(pd.Series(texts, dtype="str")).tolist() == [
        neutralise_formula(t) for t in texts
    ]
