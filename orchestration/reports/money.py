"""How the public pack writes pounds: short in prose, whole pounds in tables, k or m on chart axes.

A Forum member reads "£162.6m" faster than "£162,593,792.66", and pence in a forecast claim a precision it
does not have. Prose and headlines use `money_short` (k with one decimal, m with at least three
significant figures); tables use `money_pounds`; only the officers' workbook keeps pence. A chart axis takes
one unit for all its ticks, chosen by the largest tick, with just enough decimals that no two ticks read
the same (`axis_money_labels`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

THOUSAND = 1_000.0
MILLION = 1_000_000.0


def _signed(negative: bool, digits: str) -> str:
    """`-£1.2k`: the sign before the pound sign, and never a sign on a figure that reads as zero."""
    reads_as_zero = not any(character in "123456789" for character in digits)
    return f"-£{digits}" if negative and not reads_as_zero else f"£{digits}"


def money_short(value: float) -> str:
    """`£999`, `£1.0k`, `£999.5k`, `£1.00m`, `£162.6m`, `-£1.2k`: pounds for prose and headlines.

    Under £1,000 in whole pounds; then thousands to one decimal; then millions to two decimals under £10m
    and one decimal above. A value that rounds up to the next unit takes that unit (£999,960 → £1.00m).
    """
    size = abs(float(value))
    negative = value < 0
    if round(size) < THOUSAND:
        return _signed(negative, f"{size:,.0f}")
    if round(size / THOUSAND, 1) < THOUSAND:
        return _signed(negative, f"{size / THOUSAND:,.1f}k")
    decimals = 2 if round(size / MILLION, 2) < 10 else 1
    return _signed(negative, f"{size / MILLION:,.{decimals}f}m")


def money_pounds(value: float) -> str:
    """`£12,346`, `-£1,235`: a table's figure, to the pound."""
    return _signed(value < 0, f"{abs(float(value)):,.0f}")


def _unit(largest: float) -> tuple[float, str]:
    if largest >= MILLION:
        return MILLION, "m"
    if largest >= THOUSAND:
        return THOUSAND, "k"
    return 1.0, ""


def axis_money_labels(ticks: Sequence[float]) -> list[str]:
    """Labels for a chart axis's money ticks, all in one unit (£, k or m chosen by the largest tick).

    Decimals grow from none until every tick reads differently, so a small county's axis reads
    `£0.0m £0.5m £1.0m`, never `£0m £0m £1m`.
    """
    values = [float(tick) for tick in ticks]
    if not values:
        return []
    divisor, unit = _unit(max(abs(value) for value in values))
    for decimals in range(4):
        labels = [_signed(value < 0, f"{abs(value) / divisor:,.{decimals}f}{unit}") for value in values]
        distinct = len(set(labels)) == len(set(values))
        exact = all(
            math.isclose(round(value / divisor, decimals), value / divisor, abs_tol=1e-9) for value in values
        )
        if distinct and exact:
            return labels
    return labels
