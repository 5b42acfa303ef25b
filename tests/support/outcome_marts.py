"""Hand-made `outcomes_tracker` and `ap_outcomes` marts for pack tests (no dbt build needed).

Every indicator of the shipped catalogue gets four periods up to the pack's month with a value on, behind
or off its trajectory; one AP provider is small (2 children) so the pack must suppress it.
"""

from __future__ import annotations

import pandas as pd

from orchestration.outcomes_framework import period_start, shipped_catalogue

_PERIODS = {
    "academic_year": ("2021/22", "2022/23", "2023/24", "2024/25"),
    "financial_year": ("2022-23", "2023-24", "2024-25", "2025-26"),
    "month": ("2025-06", "2025-07", "2025-08", "2025-09"),
}
RAGS = ("insufficient_data", "on_track", "behind", "off_track")


def outcomes_tracker() -> pd.DataFrame:
    rows = []
    catalogue = shipped_catalogue()
    for position, (indicator_id, item) in enumerate(catalogue.indicators.items()):
        periods = _PERIODS[item.period_type]
        for step, period in enumerate(periods):
            value = item.target * (0.8 + 0.05 * step) if item.target else 1.0 + step
            rows.append(
                {
                    "indicator_id": indicator_id,
                    "period": period,
                    "priority": item.priority,
                    "priority_name": catalogue.priorities[item.priority],
                    "indicator_name": item.label,
                    "source": item.source,
                    "unit": item.unit,
                    "period_type": item.period_type,
                    "direction": item.direction,
                    "value": value,
                    "numerator": 3.0 if position == 0 and step == 3 else 120.0 + step,
                    "denominator": 1000.0,
                    "is_pooled": False,
                    "pooled_from_period": None,
                    "baseline": item.target * 0.8,
                    "target": item.target,
                    "trajectory": item.target * (0.8 + 0.04 * step)
                    if period_start(period, item.period_type) >= period_start(periods[1], item.period_type)
                    else None,
                    "shortfall": 0.0,
                    "rag": RAGS[(position + step) % 4] if step else "insufficient_data",
                    "comparator_value": 19.4 if item.comparator and step == 0 else None,
                    "comparator": "England (s251 budget)" if item.comparator and step == 0 else None,
                }
            )
    return pd.DataFrame(rows)


def ap_outcomes() -> pd.DataFrame:
    rows = []
    providers = (
        ("100201", "New Horizons AP Academy", 42, 21, 13, 2),
        ("100202", "The Bridge Learning Centre", 25, 14, 7, 2),
        ("100203", "Forest Skills Hub", 2, 2, 1, 0),
        ("100204", "Open Door Education", 19, 7, 5, 0),
    )
    for year in ("2023/24", "2024/25", "2025/26"):
        ended_all = sum(p[3] for p in providers)
        overall = sum(p[4] for p in providers) / ended_all
        for urn, name, children, ended, returned, specialist in providers:
            spread = 3.090232 * (overall * (1 - overall) / ended) ** 0.5
            rows.append(
                {
                    "provider_urn": urn,
                    "academic_year": year,
                    "provider_name": name,
                    "children": children,
                    "placements": children,
                    "placements_ended": ended,
                    "returned_to_mainstream": returned,
                    "moved_to_specialist": specialist,
                    "mean_days": 310.5,
                    "cost_per_placement_gbp": 10_650.25,
                    "returned_to_mainstream_pct": 100 * returned / ended,
                    "moved_to_specialist_pct": 100 * specialist / ended,
                    "overall_returned_to_mainstream_pct": 100 * overall,
                    "control_limit_low": 100 * max(overall - spread, 0),
                    "control_limit_high": 100 * min(overall + spread, 1),
                    "warning_limit_low": None,
                    "warning_limit_high": None,
                    "funnel_position": "within",
                }
            )
    return pd.DataFrame(rows)
