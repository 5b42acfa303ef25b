"""The DSG management plan's own inputs: every block's spend, and the mitigation workstreams.

- `dsg_block_outturn.csv`: the finance system's spend of each block. Closed years have an outturn for all
  four blocks (High Needs equal to the ledger, as the s251 outturn is); the year in progress has a forecast
  of the other three blocks at each quarter end so far (none before June, so an April or May extract shows
  those blocks as not yet supplied). The schools block spends its income to within a tenth of a percent
  (it is delegated to schools, Schools Forum transfers already taken out by `dsg_funding`); central
  services and early years drift by a percent or two either way, as they do.
- `mitigations.csv`: five workstreams of the deficit management plan, each with an owner (a role, never a
  child), a target saving for every year from its start to 2028-29, and what it delivered once a year has
  ended. In the latest ended year of the full demo one is red, two amber and two green; one workstream
  did not report its first year (red: nothing reported); the year in progress is grey, with part-year
  progress reported by two workstreams.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.demo.finance_reference import Funding
from orchestration.demo.timeline import financial_year_label, fy_start_year_of_month

OTHER_BLOCKS = ("schools", "central_school_services", "early_years")
BLOCK_VARIANCE = {
    # spend ÷ income − 1, by block and financial year start
    "schools": {2021: -0.0008, 2022: -0.0012, 2023: 0.0004, 2024: -0.0010, 2025: -0.0006, 2026: -0.0004},
    "central_school_services": {
        2021: 0.012,
        2022: 0.018,
        2023: -0.006,
        2024: 0.015,
        2025: 0.009,
        2026: 0.011,
    },
    "early_years": {2021: -0.021, 2022: -0.014, 2023: 0.006, 2024: -0.018, 2025: 0.012, 2026: -0.009},
}
DEFAULT_VARIANCE = {"schools": -0.0005, "central_school_services": 0.01, "early_years": -0.01}
QUARTER_END_MONTHS = (3, 6, 9, 12)
"""Calendar months whose end the finance system forecasts the other blocks at."""
LAST_TARGET_YEAR = 2028
"""The plan sets targets to 2028-29, the year the statutory override ends."""
NOT_REPORTED = None


@dataclass(frozen=True)
class BlockFigure:
    financial_year: str
    block: str
    spend_pence: int
    status: str
    as_at_month: int | None


@dataclass(frozen=True)
class Workstream:
    name: str
    owner: str
    first_year: int
    targets_gbp: tuple[int, ...]
    """£ at county scale, from `first_year`; the last one repeats to LAST_TARGET_YEAR."""
    delivered_share: tuple[float | None, ...]
    """Share of the target delivered in each ended year from `first_year` (None: nothing reported)."""
    progress_share: float | None = None
    """Share of the year's target reported as delivered so far in the year in progress."""


WORKSTREAMS = (
    Workstream(
        "Inclusive mainstream: SEND inclusion charter and outreach",
        "Head of Inclusion and Outreach",
        2022,
        (300_000, 600_000, 900_000, 1_100_000, 1_200_000),
        (1.04, 0.97, 0.93, 0.92),
        progress_share=0.45,
    ),
    Workstream(
        "Local specialist places: resourced provisions and a special free school",
        "Head of SEND Sufficiency",
        2023,
        (500_000, 1_500_000, 2_500_000, 3_000_000),
        (0.62, 0.71, 0.55),
    ),
    Workstream(
        "Independent placements: regional framework and fee review",
        "Head of SEND Commissioning",
        2022,
        (400_000, 800_000, 1_000_000, 1_000_000),
        (0.46, 0.52, 0.61, 0.35),
    ),
    Workstream(
        "Post-16 pathways: supported internships and local college courses",
        "Post-16 SEND Lead",
        2024,
        (150_000, 300_000, 450_000, 500_000),
        (0.95, 1.10),
        progress_share=0.3,
    ),
    Workstream(
        "EHCP annual reviews: ceasing plans whose outcomes are met",
        "SEND Service Manager",
        2023,
        (200_000, 250_000, 300_000),
        (NOT_REPORTED, 0.88, 0.78),
    ),
)


@dataclass(frozen=True)
class Mitigation:
    workstream: str
    owner: str
    financial_year: str
    target_pence: int
    delivered_pence: int | None
    status: str


def _variance(block: str, year: int) -> float:
    return BLOCK_VARIANCE[block].get(year, DEFAULT_VARIANCE[block])


def _income(funding: Funding, year: int, block: str) -> int:
    table = funding.table
    row = table[(table["year"] == year) & (table["block"] == block)].iloc[0]
    return int(row["allocation"] - row["deductions"] + row["transfer_in"])


def _whole_thousands(pence: float) -> int:
    """Pence rounded to whole £1,000s (the finance system reports blocks and savings in thousands)."""
    step = 1_000 * 100
    return round(pence / step) * step


def block_outturn(
    funding: Funding, years: list[int], latest: int, hn_spend_pence: dict[str, int]
) -> list[BlockFigure]:
    """Every block's outturn for each closed year and the other blocks' quarterly forecasts this year."""
    current = fy_start_year_of_month(latest)
    figures: list[BlockFigure] = []
    for year in years:
        label = financial_year_label(year)
        if year < current:
            for block in OTHER_BLOCKS:
                spend = _income(funding, year, block) * (1 + _variance(block, year))
                figures.append(BlockFigure(label, block, _whole_thousands(spend), "outturn", None))
            figures.append(BlockFigure(label, "high_needs", hn_spend_pence[label], "outturn", None))
        elif year == current:
            first_month = year * 12 + 3  # April
            quarter_ends = [m for m in range(first_month, latest + 1) if m % 12 + 1 in QUARTER_END_MONTHS]
            for made, month in enumerate(quarter_ends, start=1):
                for block in OTHER_BLOCKS:
                    # forecasts settle on the year's variance as the year goes on
                    spend = _income(funding, year, block) * (1 + _variance(block, year) * made / 4)
                    figures.append(BlockFigure(label, block, _whole_thousands(spend), "forecast", month))
    return figures


def mitigations(latest: int, scale: int) -> list[Mitigation]:
    """The workstreams as the plan's log stood in `latest`: started workstreams only, targets to 2028-29."""
    current = fy_start_year_of_month(latest)
    months_elapsed = (latest % 12 - 3) % 12 + 1
    rows: list[Mitigation] = []
    for stream in WORKSTREAMS:
        if stream.first_year > current + 1:
            continue  # not yet in the plan
        for offset, year in enumerate(range(stream.first_year, LAST_TARGET_YEAR + 1)):
            target = stream.targets_gbp[min(offset, len(stream.targets_gbp) - 1)] * scale * 100
            delivered: int | None = None
            status = "not started" if year > current else "in progress"
            if (year + 1) * 12 + 2 <= latest:  # its March is in: the year has ended and is reported
                share = stream.delivered_share[min(offset, len(stream.delivered_share) - 1)]
                delivered = None if share is None else _whole_thousands(target * share)
                status = "no return from the owner" if share is None else "year closed"
            elif year == current and stream.progress_share is not None:
                delivered = _whole_thousands(target * stream.progress_share * months_elapsed / 12)
                status = f"on track: {months_elapsed} months reported"
            rows.append(
                Mitigation(stream.name, stream.owner, financial_year_label(year), target, delivered, status)
            )
    return rows
