"""Unique Pupil Number (UPN) check letters, by the DfE algorithm in `reference.md`."""

from __future__ import annotations

import re

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
"""23 letters (no I, O, S): index = remainder mod 23; also the values of a temporary UPN's last letter."""

_UPN_SHAPE = re.compile(rf"^[{CHECK_ALPHABET}]\d{{11}}[0-9{CHECK_ALPHABET}]$")


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters that follow it (LA, establishment, year, serial)."""
    if len(body) != 12:
        raise ValueError(f"a UPN body has 12 characters, got {len(body)}")
    total = 0
    for weight, char in enumerate(body, start=2):
        value = CHECK_ALPHABET.index(char) if char.isalpha() else int(char)
        total += value * weight
    return CHECK_ALPHABET[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why `upn` is not a valid UPN, in words a data officer understands; None when it is valid."""
    if len(upn) != 13:
        return f"a UPN has 13 characters, this has {len(upn)}"
    if not _UPN_SHAPE.match(upn):
        return "a UPN is a check letter, 11 digits, then a digit (or a letter for a temporary UPN)"
    if upn[0] != upn_check_letter(upn[1:]):
        return "the check letter does not match the digits"
    return None


def is_valid_upn(upn: str) -> bool:
    """True when `upn` has the UPN shape and a correct check letter."""
    return upn_problem(upn) is None


def mask_identifier(value: str) -> str:
    """Show only the first three characters, for error messages and logs (`A91…`)."""
    return f"{value[:3]}…" if value else value
