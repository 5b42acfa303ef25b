"""UPNs become keyed pseudonyms at ingest: one per child, the same in every file of a load."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from orchestration.pseudonymise import PSEUDONYM_HEX_CHARS, pseudonymise_upns

KEY = b"test-key"


def _by_hand(upn: str) -> str:
    return hmac.new(KEY, upn.encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]


def test_a_upn_is_hashed_with_the_key_after_trimming_and_upper_casing() -> None:
    pseudonyms = pseudonymise_upns(pd.Series([" a123456789012 ", "A123456789012", None]), KEY)
    assert pseudonyms.iloc[0] == pseudonyms.iloc[1] == _by_hand("A123456789012")
    assert pd.isna(pseudonyms.iloc[2])


def test_pseudonyms_carried_between_files_match_those_made_afresh_and_each_upn_is_kept_once() -> None:
    known: dict[str, str] = {}
    first = pseudonymise_upns(pd.Series(["A123456789012", "B123456789012"]), KEY, known)
    second = pseudonymise_upns(pd.Series(["b123456789012", "C123456789012"]), KEY, known)
    assert list(second) == list(pseudonymise_upns(pd.Series(["B123456789012", "C123456789012"]), KEY))
    assert second.iloc[0] == first.iloc[1]
    assert known == {upn: _by_hand(upn) for upn in ("A123456789012", "B123456789012", "C123456789012")}
