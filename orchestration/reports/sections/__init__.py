"""The sections of the public pack, in reading order: one module per section, one line each here.

`build_content` draws every section from the marts; a section whose data is not there yet says why and
the rest still draw. To add a section, write a module with a `SECTION = SectionSpec(key, title, build)`
and add one line to `SECTIONS`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime

from orchestration.reports.content import NotAvailable, PackContent, Section
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import describe_rules
from orchestration.reports.formatting import month_label
from orchestration.reports.headline import build_headline
from orchestration.reports.sections import (
    ap_outcomes,
    benchmarks,
    budget,
    cost,
    deficit,
    dsg_plan,
    exclusions,
    forecast,
    impact,
    outcomes,
    placements,
    quality,
    spend,
)
from orchestration.reports.sections.common import SectionSpec

SECTIONS: tuple[SectionSpec, ...] = (
    budget.SECTION,
    forecast.SECTION,
    spend.SECTION,
    cost.SECTION,
    placements.SECTION,
    deficit.SECTION,
    dsg_plan.SECTION,
    benchmarks.SECTION,
    exclusions.SECTION,
    impact.SECTION,
    quality.SECTION,
    outcomes.SECTION,
    ap_outcomes.SECTION,
)


def build_section(data: PackData, spec: SectionSpec) -> Section:
    """One section from the marts, or the section saying why its data is not there."""
    try:
        return spec.build(data, Section(spec.key, spec.title))
    except NotAvailable as reason:
        return Section(spec.key, spec.title, unavailable=str(reason))


def build_content(
    data: PackData,
    generated_at: datetime | None = None,
    mapper: Callable[..., Iterable[Section]] = map,
) -> PackContent:
    """The whole public pack for `data.month`; a section without its data says why, the rest still draw.

    Sections draw from `data` alone, so `mapper` may draw them side by side (`orchestration.forked_map`);
    they come back in reading order either way.
    """
    sections = list(mapper(functools.partial(build_section, data), SECTIONS))
    headline, key_figures = build_headline(data)
    return PackContent(
        la_name=data.la_name,
        month=data.month,
        month_label=month_label(data.month),
        financial_year=data.financial_year,
        generated_at=(generated_at or datetime.now()).strftime("%d %B %Y %H:%M"),
        headline=headline,
        key_figures=key_figures,
        sections=sections,
        rules=describe_rules(data.rules),
    )
