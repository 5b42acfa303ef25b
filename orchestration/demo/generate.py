"""`generate_demo`: write a whole landing folder for the fictional county of Wyvernshire.

The world (schools, children and placements, payments, budgets, programmes and school outcomes) is
simulated once over a fixed horizon (April 2021 – March 2031) from one seed; `latest_month` only decides
what has been delivered by then: ledger months April 2021 … latest, quarterly placements snapshots, one
each January (the SEN2 census month) and the latest, termly outcome files delivered by then, and reference
files as they stood. So a short test
run sees exactly the same 2021-22 as the full demo, and the same seed and arguments give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

from orchestration.contract import landing_files
from orchestration.demo.conversions import make_conversions
from orchestration.demo.dsg_plan_inputs import block_outturn, mitigations
from orchestration.demo.finance_reference import (
    FIRST_FY,
    OPENING_BALANCE_2021,
    OVERSPEND_2021,
    make_budget,
    make_deficit_plans,
    make_funding,
    plan_in_force,
)
from orchestration.demo.forecast_inputs import control_totals, forecast_adjustments
from orchestration.demo.ground_truth import ground_truth
from orchestration.demo.interventions import assign_programmes, interventions_table
from orchestration.demo.ledger import LedgerMonth, build_ledger_world, ledger_month, make_payees
from orchestration.demo.messy import ACCOUNTING, PLAIN, THOUSANDS, UK_DATES, WITH_BOM, MessPlan
from orchestration.demo.outcome_indicators import outcome_indicator_deliveries
from orchestration.demo.outcomes import simulate_panel
from orchestration.demo.placements import census_count, simulate_placements
from orchestration.demo.schools import make_providers, make_schools
from orchestration.demo.timeline import (
    CENSUS_2021,
    FIRST_LEDGER_MONTH,
    LAST_SUPPORTED_MONTH,
    financial_year_label,
    fy_start_year_of_month,
    month_index,
    month_label,
    month_last_day,
    term_delivery_month,
    terms_delivered_by,
)
from orchestration.demo.writers import (
    PlacementColumns,
    write_budget_xlsx,
    write_deficit_plan,
    write_dsg_balance,
    write_dsg_block_outturn,
    write_dsg_funding,
    write_forecast_adjustments,
    write_interventions,
    write_ledger_control_totals,
    write_ledger_month,
    write_mitigations,
    write_outcome_indicators,
    write_outcomes,
    write_schools,
)

Scale = Literal["county", "national"]
SCALE_FACTOR = {"county": 1, "national": 30}
GROUND_TRUTH_NAME = "demo_ground_truth.json"
PROGRESS = logging.getLogger("highneeds.progress")
"""The platform's progress logger (the CLI prints it); named here to avoid importing Dagster."""
CORRECTIONS_DIR = "corrections"
N_CORRECTED_LINES = 5


@dataclass(frozen=True)
class Correction:
    """The corrected re-delivery of one ledger month (copy it over the original to simulate one)."""

    month: str
    path: Path
    replaces: Path
    transaction_ids: tuple[str, ...]
    original_pence: tuple[int, ...]
    corrected_pence: tuple[int, ...]

    @property
    def delta_gbp(self) -> float:
        """Change in the month's total spend once the correction replaces the original (£)."""
        return (sum(self.corrected_pence) - sum(self.original_pence)) / 100


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` wrote, with the headline figures it was calibrated to."""

    landing: Path
    seed: int
    scale: str
    latest_month: str
    files: tuple[Path, ...]
    """Landing files at the folder's top level (what the platform reads), sorted by name."""
    rows: dict[str, int]
    """Data rows per dataset, summed over that dataset's files."""
    ground_truth: Path
    correction: Correction
    mess: dict[str, str] = field(default_factory=dict)
    """Kind of deliberate mess → file (relative to `landing`)."""
    finance: dict[str, dict[str, float] | float] = field(default_factory=dict)
    """Ledger spend as written and High Needs income by financial year, opening balance, EHCPs in Jan 2021."""

    @property
    def rows_by_dataset(self) -> dict[str, int]:
        """Alias of `rows` (the CLI's name)."""
        return self.rows

    @property
    def ground_truth_path(self) -> Path:
        """Alias of `ground_truth`."""
        return self.ground_truth


def default_latest_month(today: dt.date | None = None) -> str:
    """The last complete calendar month, kept within the months the demo world covers."""
    today = today or dt.date.today()
    last_complete = today.year * 12 + today.month - 2
    clamped = min(max(last_complete, month_index(FIRST_LEDGER_MONTH)), month_index(LAST_SUPPORTED_MONTH))
    return month_label(clamped)


def _prepare_folder(landing: Path) -> None:
    """Create the folder; clear a previous demo's files, but never mix demo data into a real folder."""
    landing.mkdir(parents=True, exist_ok=True)
    existing = landing_files(landing)
    if (landing / GROUND_TRUTH_NAME).exists():
        for landing_file in existing:
            landing_file.path.unlink()
        (landing / GROUND_TRUTH_NAME).unlink()
        shutil.rmtree(landing / CORRECTIONS_DIR, ignore_errors=True)
    elif existing:
        raise FileExistsError(
            f"{landing} already holds landing files that the demo did not write; use an empty folder"
        )


def generate_demo(
    landing: Path,
    seed: int = 42,
    scale: Scale = "county",
    latest_month: str = "2026-10",
) -> DemoSummary:
    """Write the demo landing folder as extracted in `latest_month` and return what was written.

    Deterministic: the same seed and arguments give byte-identical files.
    """
    landing = Path(landing)
    if scale not in SCALE_FACTOR:
        raise ValueError(f"scale must be 'county' or 'national', not {scale!r}")
    latest = month_index(latest_month)
    if not month_index(FIRST_LEDGER_MONTH) <= latest <= month_index(LAST_SUPPORTED_MONTH):
        raise ValueError(f"latest_month must be between {FIRST_LEDGER_MONTH} and {LAST_SUPPORTED_MONTH}")
    factor = SCALE_FACTOR[scale]
    known_by = month_last_day(latest)
    _prepare_folder(landing)

    # ---- the world (independent of latest_month)
    PROGRESS.info("Demo: simulating the %s world (seed %s)", scale, seed)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(7)]
    schools_rng, placement_rng, payee_rng, budget_rng, programme_rng, outcome_rng, conversion_rng = streams
    schools = make_schools(schools_rng, factor)
    providers = make_providers(schools_rng, factor)
    world = simulate_placements(placement_rng, schools, providers, factor)
    funding = make_funding(factor)
    target_2021 = funding.hn_income(FIRST_FY) + OVERSPEND_2021 * factor * 100
    ledger = build_ledger_world(
        world, make_payees(payee_rng, schools, providers, factor), seed, factor, target_2021
    )
    budget = make_budget(funding, ledger.spend_fy_line, budget_rng)
    plans = make_deficit_plans(funding, {y: int(v.sum()) for y, v in ledger.spend_fy_line.items()}, factor)
    panel_schools = schools[schools["in_panel"]].reset_index(drop=True)
    panel_urn = panel_schools["school_urn"].to_numpy(dtype=object)
    assignment = assign_programmes(programme_rng, panel_schools["phase"].to_numpy())
    panel = simulate_panel(
        outcome_rng,
        panel_urn,
        panel_schools["phase"].to_numpy(),
        panel_schools["size"].to_numpy(),
        assignment,
    )
    conversions = make_conversions(conversion_rng, panel_schools, schools["school_urn"], factor)

    # ---- what has been delivered by latest_month
    PROGRESS.info("Demo: writing landing files as extracted in %s", latest_month)
    ledger_months = list(range(month_index(FIRST_LEDGER_MONTH), latest + 1))
    snapshot_months = sorted(
        {m for m in ledger_months if ((m % 12 + 1) % 3 == 0 or m % 12 == 0) and m >= month_index("2021-06")}
        | {latest}
    )
    terms = terms_delivered_by(latest)
    mess = MessPlan.choose(ledger_months, snapshot_months)
    rows: dict[str, int] = {}
    written: list[Path] = []

    def count(dataset: str, path: Path, n: int) -> None:
        rows[dataset] = rows.get(dataset, 0) + n
        written.append(path)

    spend_written: dict[str, int] = {}
    spend_by_month: dict[int, int] = {}
    correction_month = None
    for month in ledger_months:
        lm = ledger_month(world, ledger, month)
        path = landing / f"hn_ledger_{month_label(month)}.csv"
        count("hn_ledger", path, write_ledger_month(path, lm, mess.ledger_style(month)))
        fy = financial_year_label(fy_start_year_of_month(month))
        spend_written[fy] = spend_written.get(fy, 0) + int(lm.amount_pence.sum())
        spend_by_month[month] = int(lm.amount_pence.sum())
        if month == mess.ledger_correction:
            correction_month = lm

    placement_text = PlacementColumns(world)
    for month in snapshot_months:
        path = landing / f"placements_{month_label(month)}.csv"
        style = UK_DATES if month == mess.placements_uk_dates else PLAIN
        count(
            "placements",
            path,
            placement_text.write(path, month, style, month == mess.placements_extra_column),
        )

    for term in terms:
        path = landing / f"school_outcomes_{month_label(term_delivery_month(term))}.csv"
        urns_in_term = partial(conversions.urns_in_term, panel_urn)
        count("school_outcomes", path, write_outcomes(path, panel, [term], PLAIN, urns_in_term))

    path = landing / "schools.csv"
    count("schools", path, write_schools(path, conversions.schools_as_known(schools, known_by)))
    table = interventions_table(assignment, partial(conversions.urns_on_days, panel_urn), known_by)
    if len(table):  # nothing has started before autumn 2022: no file rather than an empty one
        path = landing / "interventions.csv"
        count("interventions", path, write_interventions(path, table, UK_DATES))
    budget_rows = [r for r in budget if r.approved_on <= known_by]
    years = sorted({r.year for r in budget_rows if r.budget_type == "original"})
    path = landing / "hn_budget.xlsx"
    count("hn_budget", path, write_budget_xlsx(path, budget_rows))
    path = landing / "dsg_funding.csv"
    count("dsg_funding", path, write_dsg_funding(path, funding, years, THOUSANDS))
    path = landing / "dsg_balance.csv"
    opening = OPENING_BALANCE_2021 * factor * 100
    count("dsg_balance", path, write_dsg_balance(path, FIRST_FY, opening, WITH_BOM))
    path = landing / "deficit_plan.csv"
    plan = plan_in_force(plans, known_by)
    count("deficit_plan", path, write_deficit_plan(path, plan, ACCOUNTING))

    path = landing / "forecast_adjustments.csv"
    count(
        "forecast_adjustments",
        path,
        write_forecast_adjustments(path, forecast_adjustments(latest, factor), PLAIN),
    )
    path = landing / "ledger_control_totals.csv"
    totals = control_totals(spend_by_month, mess.ledger_correction)
    count("ledger_control_totals", path, write_ledger_control_totals(path, totals, PLAIN))
    path = landing / "dsg_block_outturn.csv"
    figures = block_outturn(funding, years, latest, {fy: int(p) for fy, p in spend_written.items()})
    count("dsg_block_outturn", path, write_dsg_block_outturn(path, figures, PLAIN))
    path = landing / "mitigations.csv"
    count("mitigations", path, write_mitigations(path, mitigations(latest, factor), PLAIN))
    for delivery, indicator_rows in outcome_indicator_deliveries(latest, seed).items():
        path = landing / (f"outcome_indicators_{delivery}.csv" if delivery else "outcome_indicators.csv")
        count("outcome_indicators", path, write_outcome_indicators(path, indicator_rows, PLAIN))

    correction = _write_correction(landing, correction_month, seed)
    mess_files = {kind: name for kind, name in mess.describe().items() if (landing / name).exists()}
    finance = {
        "ledger_spend_gbp_by_year": {fy: p / 100 for fy, p in spend_written.items()},
        "hn_income_gbp_by_year": {financial_year_label(y): funding.hn_income(y) / 100 for y in years},
        "total_dsg_income_gbp_by_year": {
            financial_year_label(y): funding.total_income(y) / 100 for y in years
        },
        "opening_balance_gbp": {financial_year_label(FIRST_FY): opening / 100},
        "ehcps_january_2021_census": census_count(world, CENSUS_2021),
    }
    truth = ground_truth(
        panel,
        assignment,
        terms,
        {
            "seed": seed,
            "scale": scale,
            "latest_month": latest_month,
            "finance": finance,
            "academy_conversions": [
                {"old_urn": old, "new_urn": new, "from_term_index": int(term)}
                for old, new, term, first_day in zip(
                    conversions.old_urn, conversions.new_urn, conversions.term, conversions.day, strict=True
                )
                if first_day <= known_by
            ],
            "deliberate_mess": mess_files,
            "correction": {
                "month": correction.month,
                "file": f"{CORRECTIONS_DIR}/{correction.path.name}",
                "transaction_ids": list(correction.transaction_ids),
                "original_gbp": [p / 100 for p in correction.original_pence],
                "corrected_gbp": [p / 100 for p in correction.corrected_pence],
                "delta_gbp": correction.delta_gbp,
            },
        },
    )
    truth_path = landing / GROUND_TRUTH_NAME
    truth_path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return DemoSummary(
        landing=landing,
        seed=seed,
        scale=scale,
        latest_month=latest_month,
        files=tuple(sorted(written, key=lambda p: p.name)),
        rows=rows,
        ground_truth=truth_path,
        correction=correction,
        mess=mess_files,
        finance=finance,
    )


def _write_correction(landing: Path, lm: LedgerMonth, seed: int) -> Correction:
    """A corrected copy of one ledger month in `corrections/`: a few amounts changed, ids kept."""
    rng = np.random.default_rng([seed, 97, lm.month])
    candidates = np.flatnonzero(lm.amount_pence > 0)
    pick = np.sort(rng.choice(candidates, size=min(N_CORRECTED_LINES, len(candidates)), replace=False))
    amounts = lm.amount_pence.copy()
    factor = rng.choice([0.5, 0.75, 1.1, 1.25, 1.5], size=len(pick))
    amounts[pick] = np.rint(amounts[pick] * factor).astype(np.int64)
    amounts[pick] = np.where(amounts[pick] == lm.amount_pence[pick], amounts[pick] + 100, amounts[pick])
    path = landing / CORRECTIONS_DIR / f"hn_ledger_{month_label(lm.month)}.csv"
    write_ledger_month(path, lm, PLAIN, amount_pence=amounts)
    return Correction(
        month=month_label(lm.month),
        path=path,
        replaces=landing / path.name,
        transaction_ids=tuple(lm.transaction_id.take(pick).to_pylist()),
        original_pence=tuple(int(v) for v in lm.amount_pence[pick]),
        corrected_pence=tuple(int(v) for v in amounts[pick]),
    )
