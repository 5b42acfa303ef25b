"""'What works' in alternative provision: each AP provider's last complete academic year, on a funnel.

A provider with few placements can show 0 % or 100 % returned to mainstream by chance alone, so providers
are not ranked: each share is set beside the 99.8 % control limits for its number of ended placements
(`marts.ap_outcomes`), and only a share outside them is called higher or lower than the others. Counts
below `min_count` are shown as `c`, and every figure built on them with them.
"""

from __future__ import annotations

import pandas as pd

from orchestration.reports.content import Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import SUPPRESSED
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, numbers, require

REQUIRED = [
    "provider_urn",
    "academic_year",
    "provider_name",
    "children",
    "placements_ended",
    "returned_to_mainstream",
    "moved_to_specialist",
    "mean_days",
    "cost_per_placement_gbp",
    "returned_to_mainstream_pct",
    "moved_to_specialist_pct",
    "overall_returned_to_mainstream_pct",
    "control_limit_low",
    "control_limit_high",
    "funnel_position",
]
COLUMNS = [
    Column("provider", "Provider"),
    Column("children", "Children placed", "count"),
    Column("placements_ended", "Placements ended", "count"),
    Column("mean_days", "Mean stay (days)", "count"),
    Column("cost_per_placement_gbp", "Cost per placement", "money"),
    Column("returned_to_mainstream_pct", "Returned to mainstream", "pct"),
    Column("moved_to_specialist_pct", "Moved to special or independent", "pct"),
    Column("limits", "Range chance allows (99.8%)"),
    Column("position", "Compared with all AP"),
]
POSITIONS = {
    "above": "▲ more returned than chance allows",
    "below": "▼ fewer returned than chance allows",
    "within": "within the range",
    "no_placements_ended": "no placement ended",
}


def chosen_year(ap: pd.DataFrame, academic_year: str) -> str:
    """The last academic year before the pack's (a complete year), else the pack's own."""
    years = sorted(str(y) for y in ap["academic_year"].unique() if str(y) <= academic_year)
    complete = [year for year in years if year < academic_year]
    return complete[-1] if complete else years[-1]


def build(data: PackData, section: Section) -> Section:
    ap = require(data, "ap_outcomes", REQUIRED, "The alternative provision outcomes")
    year = chosen_year(ap, data.academic_year)
    rows = ap[ap["academic_year"] == year].sort_values("provider_name").reset_index(drop=True)
    overall = numbers(rows["overall_returned_to_mainstream_pct"]).dropna()
    ended = int(numbers(rows["placements_ended"]).sum())
    returned = int(numbers(rows["returned_to_mainstream"]).sum())
    share = f"{overall.iloc[0]:.0f}%" if len(overall) else "none"
    section.paragraphs.append(
        f"In {year}, {ended:,} alternative provision placements ended across {len(rows)} providers; "
        f"{share} of them returned to mainstream school"
        + (f" ({returned:,} children)." if returned >= data.rules.min_count else ".")
        + " A provider's share is compared with the range chance alone allows for its number of ended "
        "placements (a funnel plot's 99.8% control limits), so small providers are not ranked on noise."
    )
    frame = rows.copy()
    frame["provider"] = frame["provider_name"].fillna(frame["provider_urn"])
    frame["limits"] = [
        f"{low:.0f}% to {high:.0f}%" if pd.notna(low) and pd.notna(high) else "x"
        for low, high in zip(
            numbers(frame["control_limit_low"]), numbers(frame["control_limit_high"]), strict=True
        )
    ]
    frame["position"] = [POSITIONS.get(str(p), str(p)) for p in frame["funnel_position"]]
    section.tables.append(
        public_table(
            f"Alternative provision by provider, {year}",
            frame,
            COLUMNS,
            note="Children placed: at any time in the year. Shares are of the placements that ended in the "
            f"year. {SUPPRESSED} = fewer than {data.rules.min_count} (and figures built on them).",
            rules=data.rules,
            counts=["children", "placements_ended", "returned_to_mainstream", "moved_to_specialist"],
            derived={
                "cost_per_placement_gbp": ["children"],
                "mean_days": ["placements_ended"],
                "returned_to_mainstream_pct": ["placements_ended", "returned_to_mainstream"],
                "moved_to_specialist_pct": ["placements_ended", "moved_to_specialist"],
                "limits": ["placements_ended"],
                "position": ["placements_ended"],
            },
        )
    )
    return section


SECTION = SectionSpec("ap-outcomes", "What works in alternative provision", build)
