"""High Needs actuals: the monthly ledger extracts (`hn_ledger_YYYY-MM.csv`).

Placement lines come straight from the placement world (annual cost ÷ 12, pro rata to the days a
placement is open in the month) so the ledger and the placements agree, as in a real top-up system.
Everything else (place funding, targeted funding, SEN support services, hospital education, tuition,
inclusion, direct payments, therapies) is paid to a small list of payees each month, and a few credits
(inter-authority recoupment, refunds of overpaid top-ups) are negative.

Calibration: the non-placement spend of 2021-22 is whatever makes the year's total equal the target
(High Needs income + £6.9m, the cabinet report's overspend); later years grow at line-specific rates.
Randomness is drawn per month from `default_rng([seed, stream, month])`, so a month's lines do not
depend on which other months are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.demo import names
from orchestration.demo.formats import integers, join, text
from orchestration.demo.placements import (
    AP,
    EOTAS,
    EY,
    FE,
    HOSP,
    LINE,
    LINES,
    MA,
    MM,
    PROVISION_TYPES,
    RP,
    SA,
    SI,
    SM,
    SN,
    SP16,
    PlacementWorld,
)
from orchestration.demo.schools import Providers
from orchestration.demo.timeline import (
    FIRST_LEDGER_MONTH,
    LAST_SUPPORTED_MONTH,
    fy_start_year_of_month,
    human_month,
    month_first_day,
    month_index,
    month_last_day,
)

STREAM_CREDITS, STREAM_OTHER, STREAM_POSTING = 71, 72, 73

NONPLACEMENT_SHARE_2021 = {
    "1.0.2": 0.34,
    "1.2.4": 0.11,
    "1.2.5": 0.19,
    "1.2.6": 0.07,
    "1.2.7": 0.09,
    "1.2.8": 0.08,
    "1.2.11": 0.04,
    "1.2.13": 0.08,
}
NONPLACEMENT_GROWTH = {
    "1.0.2": 1.03,
    "1.2.4": 1.05,
    "1.2.5": 1.04,
    "1.2.6": 1.03,
    "1.2.7": 1.06,
    "1.2.8": 1.04,
    "1.2.11": 1.10,
    "1.2.13": 1.06,
}
MONTH_PROFILE = np.array([1.0, 1.0, 1.0, 0.95, 0.8, 1.05, 1.05, 1.05, 0.95, 1.05, 1.05, 1.05])
"""Share of a year's non-placement spend by month (April first): August is quiet."""
MONTH_PROFILE = MONTH_PROFILE / MONTH_PROFILE.sum()

PLACEMENT_COST_CENTRE = np.array(
    [
        "HN2110",
        "HN2110",
        "HN2120",
        "HN2130",
        "HN2130",
        "HN2140",
        "HN2140",
        "HN2150",
        "HN2160",
        "HN2160",
        "HN2170",
        "HN2180",
        "HN2190",
    ],
    dtype=object,
)
_BAND_TYPES = (MM, MA, RP, SM, SA)
_DESC_BEFORE = {
    MM: "Top-up, ",
    MA: "Top-up, ",
    RP: "Resourced provision top-up, ",
    SM: "Special school top-up, ",
    SA: "Special school top-up, ",
    SI: "Independent school fees, ",
    SN: "Non-maintained school fees, ",
    AP: "AP place, ",
    FE: "Element 3 top-up, ",
    SP16: "Specialist post-16 fees, ",
    HOSP: "Hospital education, ",
    EOTAS: "EOTAS package, ",
    EY: "Early years SEN inclusion funding, ",
}
_DESC_AFTER = {
    MM: ' – "Band ',
    MA: ' – "Band ',
    RP: ' – "Band ',
    SM: ' – "Band ',
    SA: ' – "Band ',
    SI: ', "termly invoice" apportioned',
    SN: ', "termly invoice" apportioned',
    AP: ' – "turnaround" package',
    FE: ', FE "high needs student"',
    SP16: ' – "study programme"',
    HOSP: "",
    EOTAS: ' – tuition, therapies, "bespoke"',
    EY: "",
}
DESC_BEFORE = np.array([_DESC_BEFORE[t] for t in range(13)], dtype=object)
DESC_AFTER = np.array([_DESC_AFTER[t] for t in range(13)], dtype=object)
BAND_EDGES_GBP = np.array([7000, 9000, 13000, 18000, 22000])
BANDS = np.array(list("ABCDEF"), dtype=object)


@dataclass(frozen=True)
class Payees:
    """Who a non-placement line pays each month."""

    line: str
    urn: np.ndarray
    name: np.ndarray
    weight: np.ndarray
    per_month: int | None
    """How many of them are paid in a month (None: all of them, every month)."""
    cost_centre: str
    description: str
    """Template: `{month}` and `{name}` are filled in."""


@dataclass
class LedgerWorld:
    """Spend by month and line for the whole horizon, the credits, and the non-placement budgets."""

    months: list[int]
    placement_spend: np.ndarray
    """(month, line) pence of placement lines."""
    credits: dict[int, dict[str, np.ndarray]]
    nonplacement_fy: dict[int, np.ndarray]
    """Financial year start → pence per line of non-placement spend for the whole year."""
    payees: list[Payees]
    scale: int
    seed: int
    spend_fy_line: dict[int, np.ndarray] = field(default_factory=dict)
    """Financial year start → total pence per line (placements + credits + other), whole years."""


def make_payees(
    rng: np.random.Generator, schools: pd.DataFrame, providers: Providers, scale: int
) -> list[Payees]:
    """The payees of each non-placement line (schools from `schools`, services from built-in lists)."""
    kind = schools["kind"].to_numpy()
    urn = schools["school_urn"].to_numpy(dtype=object)
    name = schools["school_name"].to_numpy(dtype=object)
    size = schools["size"].to_numpy().astype(float)

    def repeat(pool: tuple[str, ...]) -> np.ndarray:
        if scale == 1:
            return np.array(pool, dtype=object)
        return np.array([f"{p} ({area:02d})" for area in range(1, scale + 1) for p in pool], dtype=object)

    def services(
        pool: tuple[str, ...], line: str, cc: str, desc: str, per_month: float | None = None
    ) -> Payees:
        names_ = repeat(pool)
        n_month = None if per_month is None else max(1, round(per_month * len(names_)))
        return Payees(
            line,
            np.full(len(names_), "", dtype=object),
            names_,
            rng.uniform(0.6, 1.4, len(names_)),
            n_month,
            cc,
            desc,
        )

    places = np.isin(kind, ["special", "pru"]) & (schools["governance"].to_numpy() == "maintained")
    mainstream = kind == "mainstream"
    hospital = kind == "hospital"
    return [
        Payees(
            "1.0.2",
            urn[places],
            name[places],
            size[places],
            None,
            "HN1020",
            'Place funding, {month} – "Element 2", £10,000 per place',
        ),
        Payees(
            "1.2.4",
            urn[mainstream],
            name[mainstream],
            rng.uniform(0.5, 1.5, int(mainstream.sum())),
            max(3, round(0.08 * mainstream.sum())),
            "HN2240",
            'Targeted funding, {month} – "exceptional needs" allocation',
        ),
        services(
            names.SEN_SUPPORT_SERVICES, "1.2.5", "HN2250", "{name}: staffing, travel & resources, {month}"
        ),
        Payees(
            "1.2.6",
            urn[hospital],
            name[hospital],
            np.ones(int(hospital.sum())),
            None,
            "HN2170",
            'Hospital education service, {month} – SLA "core offer"',
        ),
        services(
            names.TUITION_PROVIDERS, "1.2.7", "HN2270", 'Tuition & outreach, {month} – "not a placement"', 0.6
        ),
        services(
            names.INCLUSION_SERVICES, "1.2.8", "HN2280", 'Inclusion support, {month}, "graduated approach"'
        ),
        services(
            (
                "Direct payments - SEN personal budgets (batch A)",
                "Direct payments - SEN personal budgets (batch B)",
            ),
            "1.2.11",
            "HN2311",
            "Direct payments, {month} – monthly batch",
        ),
        services(
            names.THERAPY_PROVIDERS, "1.2.13", "HN2313", 'Therapies, {month} – "health contribution" SLA'
        ),
    ]


def _active(world: PlacementWorld, month: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of placements paid in a month and their amounts (pence), pro rata to open days."""
    first, last = month_first_day(month), month_last_day(month)
    rows = np.flatnonzero((world.start <= last) & (world.end >= first) & (world.cost_pence > 0))
    days = np.minimum(world.end[rows], last) - np.maximum(world.start[rows], first) + 1
    amount = np.rint(world.cost_pence[rows] * days / (12 * (last - first + 1))).astype(np.int64)
    keep = amount != 0
    return rows[keep], amount[keep]


def _credits(world: PlacementWorld, month: int, rows: np.ndarray, amount: np.ndarray, seed: int, scale: int):
    """Negative lines: refunds of overpaid top-ups (with the placement) and inter-authority recoupment."""
    rng = np.random.default_rng([seed, STREAM_CREDITS, month])
    eligible = np.flatnonzero(np.isin(world.line[rows], [LINE["1.2.1"], LINE["1.2.2"], LINE["1.2.3"]]))
    n_refund = min(int(rng.poisson(1.5 * scale)), len(eligible))
    pick = rng.choice(eligible, size=n_refund, replace=False) if n_refund else np.array([], dtype=np.int64)
    refund = -np.maximum(np.rint(amount[pick] * rng.uniform(0.2, 1.0, n_refund)), 100).astype(np.int64)
    n_recoup = int(rng.poisson(0.6 * scale)) + 1
    la = np.array(names.OTHER_LAS, dtype=object)[rng.integers(0, len(names.OTHER_LAS), n_recoup)]
    recoup = -np.rint(rng.uniform(3000, 16000, n_recoup) * 100).astype(np.int64)
    label = human_month(month)
    return {
        "placement_row": np.concatenate([rows[pick], np.full(n_recoup, -1)]),
        "line": np.concatenate(
            [world.line[rows[pick]], np.where(rng.random(n_recoup) < 0.6, LINE["1.2.1"], LINE["1.2.2"])]
        ),
        "amount": np.concatenate([refund, recoup]),
        "urn": np.concatenate([world.provider_urn[rows[pick]], np.full(n_recoup, "", dtype=object)]),
        "name": np.concatenate([world.provider_name[rows[pick]], la]),
        "description": np.concatenate(
            [
                np.full(n_refund, f'Refund of top-up, {label} – pupil left, "pro rata"', dtype=object),
                np.full(
                    n_recoup,
                    f'Inter-authority recoupment, {label} – pupil from another LA, "income"',
                    dtype=object,
                ),
            ]
        ),
        "cost_centre": np.concatenate(
            [PLACEMENT_COST_CENTRE[world.ptype[rows[pick]]], np.full(n_recoup, "HN2900", dtype=object)]
        ),
    }


def build_ledger_world(
    world: PlacementWorld, payees: list[Payees], seed: int, scale: int, target_spend_2021: int
) -> LedgerWorld:
    """Walk every month of the horizon once: placement spend by line, credits, and the calibration."""
    months = list(range(month_index(FIRST_LEDGER_MONTH), month_index(LAST_SUPPORTED_MONTH) + 1))
    spend = np.zeros((len(months), len(LINES)), dtype=np.int64)
    credit_rows: dict[int, dict[str, np.ndarray]] = {}
    credit_spend = np.zeros((len(months), len(LINES)), dtype=np.int64)
    for i, month in enumerate(months):
        rows, amount = _active(world, month)
        spend[i] = np.bincount(world.line[rows], weights=amount, minlength=len(LINES)).astype(np.int64)
        credit_rows[month] = c = _credits(world, month, rows, amount, seed, scale)
        credit_spend[i] = np.bincount(c["line"], weights=c["amount"], minlength=len(LINES)).astype(np.int64)
    fy = np.array([fy_start_year_of_month(m) for m in months])
    fys = sorted(set(fy.tolist()))
    first_fy = fys[0]
    residual = target_spend_2021 - int(spend[fy == first_fy].sum() + credit_spend[fy == first_fy].sum())
    if residual < 0.05 * target_spend_2021:
        raise RuntimeError("demo calibration failed: placement spend alone exceeds the 2021-22 target")
    nonplacement: dict[int, np.ndarray] = {}
    for year in fys:
        per_line = np.zeros(len(LINES), dtype=np.int64)
        for line, share in NONPLACEMENT_SHARE_2021.items():
            per_line[LINE[line]] = round(residual * share * NONPLACEMENT_GROWTH[line] ** (year - first_fy))
        nonplacement[year] = per_line
    # the first year's shares are rounded: put the pennies on 1.2.5 so 2021-22 hits the target exactly
    nonplacement[first_fy][LINE["1.2.5"]] += residual - int(nonplacement[first_fy].sum())
    ledger = LedgerWorld(
        months=months,
        placement_spend=spend,
        credits=credit_rows,
        nonplacement_fy=nonplacement,
        payees=payees,
        scale=scale,
        seed=seed,
    )
    for year in fys:
        ledger.spend_fy_line[year] = (
            spend[fy == year].sum(axis=0) + credit_spend[fy == year].sum(axis=0) + (nonplacement[year])
        )
    return ledger


def _other_lines(ledger: LedgerWorld, month: int) -> dict[str, np.ndarray]:
    """Non-placement lines of a month: the month's share of the year, split between the line's payees.

    Rounding pennies go to the largest payment so each month's line total is exact.
    """
    rng = np.random.default_rng([ledger.seed, STREAM_OTHER, month])
    year = fy_start_year_of_month(month)
    month_share = MONTH_PROFILE[(month - 3) % 12]
    label = human_month(month)
    parts: dict[str, list[np.ndarray]] = {
        k: [] for k in ("line", "amount", "urn", "name", "description", "cost_centre")
    }
    for payee in ledger.payees:
        total = round(int(ledger.nonplacement_fy[year][LINE[payee.line]]) * month_share)
        n = len(payee.name)
        chosen = (
            np.arange(n)
            if payee.per_month is None
            else np.sort(rng.choice(n, payee.per_month, replace=False))
        )
        weight = payee.weight[chosen] * rng.uniform(0.85, 1.15, len(chosen))
        amount = np.floor(total * weight / weight.sum()).astype(np.int64)
        amount[np.argmax(amount)] += total - int(amount.sum())
        keep = amount != 0
        chosen, amount = chosen[keep], amount[keep]
        parts["line"].append(np.full(len(chosen), LINE[payee.line]))
        parts["amount"].append(amount)
        parts["urn"].append(payee.urn[chosen])
        parts["name"].append(payee.name[chosen])
        template = payee.description.replace("{month}", label)
        if "{name}" in template:
            before, after = template.split("{name}")
            desc = np.array([before + p + after for p in payee.name[chosen]], dtype=object)
        else:
            desc = np.full(len(chosen), template, dtype=object)
        parts["description"].append(desc)
        parts["cost_centre"].append(np.full(len(chosen), payee.cost_centre, dtype=object))
    return {k: np.concatenate(v) for k, v in parts.items()}


@dataclass(frozen=True)
class LedgerMonth:
    """One month's extract, rows in posting order: text columns as Arrow arrays, numbers as numpy."""

    month: int
    transaction_id: pa.Array
    posting_day: np.ndarray
    cost_centre: pa.Array
    line: np.ndarray
    provision_type: pa.Array
    provider_urn: pa.Array
    provider_name: pa.Array
    placement_id: pa.Array
    amount_pence: np.ndarray
    description: pa.Array

    def __len__(self) -> int:
        return len(self.amount_pence)


_TYPE_CODES = text(np.array([*PROVISION_TYPES, ""], dtype=object))  # index 13 → blank
_COST_CENTRES = text(PLACEMENT_COST_CENTRE)
_DESC_BEFORE = text(DESC_BEFORE)
_DESC_AFTER = text(DESC_AFTER)


def ledger_month(world: PlacementWorld, ledger: LedgerWorld, month: int) -> LedgerMonth:
    """All lines posted to one accounting month, sorted by posting date, with their transaction ids."""
    rows, amount = _active(world, month)
    take = pa.array(rows)
    ptype = world.ptype[rows]
    ptype_arrow = pa.array(ptype)
    band = BANDS[np.searchsorted(BAND_EDGES_GBP * 100, world.cost_pence[rows], side="right")]
    band_part = np.where(np.isin(ptype, _BAND_TYPES), band + '"', "")
    placement_desc = join(
        _DESC_BEFORE.take(ptype_arrow), human_month(month), _DESC_AFTER.take(ptype_arrow), text(band_part)
    )
    credits = ledger.credits[month]
    other = _other_lines(ledger, month)
    c_rows = credits["placement_row"]
    c_is_placement = c_rows >= 0
    c_ptype = np.where(c_is_placement, world.ptype[np.maximum(c_rows, 0)], len(PROVISION_TYPES))
    n_other = len(other["amount"])
    c_pid = np.where(c_is_placement, world.placement_id[np.maximum(c_rows, 0)], "")

    def column(
        placement_part: pa.Array, credit_part: np.ndarray | pa.Array, other_part: np.ndarray
    ) -> pa.Array:
        return pa.concat_arrays([placement_part, text(credit_part), text(other_part)])

    blank = np.full(n_other, "", dtype=object)
    text_columns = {
        "provision_type": column(
            world.text["provision_type"].take(take), _TYPE_CODES.take(pa.array(c_ptype)), blank
        ),
        "placement_id": column(world.text["placement_id"].take(take), c_pid, blank),
        "provider_urn": column(world.text["provider_urn"].take(take), credits["urn"], other["urn"]),
        "provider_name": column(world.text["provider_name"].take(take), credits["name"], other["name"]),
        "description": column(placement_desc, credits["description"], other["description"]),
        "cost_centre": column(_COST_CENTRES.take(ptype_arrow), credits["cost_centre"], other["cost_centre"]),
    }
    line = np.concatenate([world.line[rows], credits["line"], other["line"]])
    amounts = np.concatenate([amount, credits["amount"], other["amount"]])

    # posting: within the month, a few late postings up to a week after it
    rng = np.random.default_rng([ledger.seed, STREAM_POSTING, month])
    first, last = month_first_day(month), month_last_day(month)
    n = len(amounts)
    posting = rng.integers(first, last + 1, size=n)
    late = rng.random(n) < 0.04
    posting[late] = last + rng.integers(1, 8, size=int(late.sum()))
    order = np.lexsort((np.arange(n), line, posting))
    order_arrow = pa.array(order)
    width = max(6, len(str(n)))
    serial = pc.utf8_lpad(integers(np.arange(1, n + 1)), width, "0")
    return LedgerMonth(
        month=month,
        transaction_id=join(f"HN{month // 12:04d}{month % 12 + 1:02d}-", serial),
        posting_day=posting[order],
        line=line[order],
        amount_pence=amounts[order],
        **{name: values.take(order_arrow) for name, values in text_columns.items()},
    )
