"""UPN check letters (DfE algorithm, `reference.md`), worked out by hand so the tests don't trust the code."""

import pandas as pd
import pytest

from orchestration.parsing.upn import (
    CHECK_ALPHABET,
    is_valid_upn,
    mask_identifier,
    upn_check_letter,
    upn_problem,
)
from orchestration.parsing.values import parse_upn

# Body 820 2001 23 001 (LA 820, establishment 2001, allocated 2023, serial 001):
#   digits   8  2  0  2  0  0  1  2  3   0   0   1
#   weights  2  3  4  5  6  7  8  9  10  11  12  13
#   products 16 6  0  10 0  0  8  18 30  0   0   13  → sum 101; 101 mod 23 = 9 → 10th letter of
#   A B C D E F G H J K … = K
VALID_UPN = "K820200123001"

# Temporary UPN: the last character is a letter, valued by its place in the same alphabet (A = 0):
#   products 16 6 0 10 0 0 8 18 30 0 0 (A=0)×13=0 → sum 88; 88 mod 23 = 19 → 20th letter = W
VALID_TEMPORARY_UPN = "W82020012300A"


def test_check_letter_worked_by_hand_is_k():
    assert upn_check_letter("820200123001") == "K"


def test_check_alphabet_leaves_out_i_o_and_s():
    assert len(CHECK_ALPHABET) == 23
    assert not set("IOS") & set(CHECK_ALPHABET)


def test_upn_with_correct_check_letter_is_valid():
    assert upn_problem(VALID_UPN) is None
    assert is_valid_upn(VALID_UPN)


def test_temporary_upn_ending_in_a_letter_is_valid_with_its_own_check_letter():
    assert upn_check_letter("82020012300A") == "W"
    assert is_valid_upn(VALID_TEMPORARY_UPN)


def test_temporary_upn_letter_changes_the_check_letter():
    # B = 1 adds 13 to the sum: 88 + 13 = 101 → 9 → K, so W is wrong for a body ending in B
    assert upn_check_letter("82020012300B") == "K"
    assert not is_valid_upn("W82020012300B")


def test_wrong_check_letter_is_refused_with_plain_reason():
    assert upn_problem("A820200123001") == "the check letter does not match the digits"


def test_a_single_mistyped_digit_is_caught_by_the_check_letter():
    assert not is_valid_upn("K820200123002")


@pytest.mark.parametrize(("upn", "length"), [("K82020012300", 12), ("K8202001230011", 14), ("", 0)])
def test_wrong_length_says_how_many_characters(upn, length):
    assert upn_problem(upn) == f"a UPN has 13 characters, this has {length}"


@pytest.mark.parametrize(
    "upn", ["I820200123001", "O820200123001", "S820200123001", "K82020012300I", "K82020012300S"]
)
def test_letters_i_o_and_s_are_never_part_of_a_upn(upn):
    assert (
        upn_problem(upn)
        == "a UPN is a check letter, 11 digits, then a digit (or a letter for a temporary UPN)"
    )


def test_letter_in_the_middle_is_refused():
    assert not is_valid_upn("K8202A0123001")


def test_body_must_be_twelve_characters():
    with pytest.raises(ValueError, match="12 characters"):
        upn_check_letter("82020012300")


def test_mask_shows_only_the_first_three_characters():
    assert mask_identifier(VALID_UPN) == "K82…"


def test_parse_upn_marks_only_bad_upns_and_never_repeats_the_upn_in_the_reason():
    result = parse_upn(pd.Series([VALID_UPN, "A820200123001", "", " k820200123001 "], dtype="str"))
    assert result.invalid.tolist() == [False, True, False, False]
    assert result.blank.tolist() == [False, False, True, False]
    assert result.values[3] == VALID_UPN  # stripped and upper-cased
    assert "820200123001" not in result.reasons[1]
