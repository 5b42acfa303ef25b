"""The outcomes framework's supplied indicators, as the council's teams would send them.

Six indicators the platform cannot derive, one per priority it has no data for (1, 2, 4, 5) and two for
priority 7: a slow rise towards each target with a little noise, deterministic for a seed. Delivered two
ways, as the contract allows:
- `outcome_indicators.csv`, the whole history, written each April: every period ended by then;
- `outcome_indicators_YYYY-MM.csv`, each month since: the previous month's EHC plans within 20 weeks;
  the September delivery also holds the academic-year figures just ended. The April delivery restates
  March, already in the whole file, corrected for a plan counted late: the latest delivery wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.timeline import month_index, month_label

FIRST_MONTH = month_index("2023-04")
"""The 20-week measure is reported from April 2023."""
FIRST_YEAR = 2022
"""Annual indicators start with 2022-23 (financial) and 2022/23 (academic): the strategy's baseline."""


@dataclass(frozen=True)
class IndicatorValue:
    indicator_id: str
    period: str
    value: float
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""


def _financial(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def _academic(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def _share(indicator_id: str, period: str, numerator: int, denominator: int, note: str) -> IndicatorValue:
    return IndicatorValue(
        indicator_id, period, round(100 * numerator / denominator, 1), numerator, denominator, note
    )


def _ehc_20_weeks(rng: np.random.Generator, month: int) -> IndicatorValue:
    plans = int(rng.integers(35, 70))
    rate = min(0.42 + 0.006 * (month - FIRST_MONTH) + rng.normal(0, 0.04), 0.95)
    on_time = round(plans * max(rate, 0.05))
    return _share("ehc_plans_within_20_weeks_pct", month_label(month), on_time, plans, "SEN2 casework system")


def _annual(rng: np.random.Generator, year: int) -> list[IndicatorValue]:
    """The figures of financial year `year`-`year+1` and of academic year `year`/`year+1`."""
    step = year - FIRST_YEAR
    schools = 310
    answered = int(rng.integers(180, 260))
    return [
        _share(
            "inclusion_baseline_schools_pct",
            _academic(year),
            min(int(40 + 70 * step + rng.integers(-10, 10)), schools),
            schools,
            "signed baseline agreements",
        ),
        _share(
            "workforce_trained_pct",
            _academic(year),
            int(90 + 45 * step + rng.integers(-8, 8)),
            schools,
            "training register: trauma-informed and restorative practice",
        ),
        IndicatorValue(
            "graduated_pathway_reviews",
            _financial(year),
            float(700 + 110 * step + int(rng.integers(-40, 40))),
        ),
        IndicatorValue(
            "children_at_pathway_levels_3_4",
            _financial(year),
            float(620 - 30 * step + int(rng.integers(-25, 25))),
        ),
        _share(
            "family_survey_kept_informed_pct",
            _financial(year),
            int(answered * (0.52 + 0.04 * step + rng.normal(0, 0.02))),
            answered,
            "annual parent carer survey",
        ),
    ]


def outcome_indicator_deliveries(latest: int, seed: int) -> dict[str | None, list[IndicatorValue]]:
    """Delivery month (None for the whole file) → its rows, as known by month index `latest`."""
    rng = np.random.default_rng([seed, 14])
    monthly = {month: _ehc_20_weeks(rng, month) for month in range(FIRST_MONTH, latest)}
    annual = {year: _annual(rng, year) for year in range(FIRST_YEAR, latest // 12)}
    whole_file_month = latest - (latest % 12 - 3) % 12  # the latest April: the history up to March

    def ended_by(value: IndicatorValue, month: int) -> bool:
        year = int(value.period[:4])
        last_month = (year + 1) * 12 + (7 if "/" in value.period else 2)  # August or March
        return last_month < month

    whole = [value for month, value in monthly.items() if month < whole_file_month]
    whole += [v for values in annual.values() for v in values if ended_by(v, whole_file_month)]
    deliveries: dict[str | None, list[IndicatorValue]] = {None: whole} if whole else {}
    for month in range(whole_file_month, latest + 1):
        if month - 1 not in monthly:
            continue
        last = monthly[month - 1]
        if month == whole_file_month:  # March again, corrected for a plan counted late
            last = _share(
                last.indicator_id,
                last.period,
                min((last.numerator or 0) + 1, last.denominator or 1),
                last.denominator or 1,
                "corrected: a late plan counted",
            )
        rows = [last]
        if month % 12 == 8:  # September: the academic year just ended
            rows += [v for v in annual.get(month // 12 - 1, []) if "/" in v.period]
        deliveries[month_label(month)] = rows
    return deliveries
