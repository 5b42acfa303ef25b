"""The impact evaluation's warehouse tables: read `marts.impact_panel`, write the three marts it fills.

`marts.impact_estimates`, `marts.event_study` and `marts.impact_balance` are written by Python (the
statistics are in `analyses/`), so their column types live here, contract columns first. All three are
replaced in one transaction: a reader never sees this month's estimates beside last month's balance.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from orchestration.warehouse import connect, transaction

ESTIMATE_COLUMNS: dict[str, str] = {
    # contract v1
    "programme": "varchar",
    "outcome": "varchar",
    "estimator": "varchar",
    "aggregation": "varchar",
    "estimate": "double",
    "std_error": "double",
    "ci_low": "double",
    "ci_high": "double",
    "p_value": "double",
    "n_treated_units": "bigint",
    "n_control_units": "bigint",
    "pretrend_p_value": "double",
    "interpretation": "varchar",
    # contract v2
    "is_primary": "boolean",
    "p_value_adjusted": "double",
    "q_value": "double",
    "mde": "double",
    "baseline_rate": "double",
    "effect_pct_of_baseline": "double",
    "breakdown_mbar": "double",
    "inference": "varchar",
    "security_rating": "integer",
    # what the pack prints, and how each figure was made
    "evidence_statement": "varchar",
    "may_headline": "boolean",
    "estimator_note": "varchar",
    "estimate_scale": "varchar",
    "control_group": "varchar",
    "pretrend_test": "varchar",
    "adjusted_estimate": "double",
    "adjusted_ci_low": "double",
    "adjusted_ci_high": "double",
    "cost_per_event_avoided_gbp": "decimal(18, 2)",
    "n_terms": "bigint",
    "n_schools_dropped": "bigint",
}
EVENT_STUDY_COLUMNS: dict[str, str] = {
    "programme": "varchar",
    "outcome": "varchar",
    "relative_period": "bigint",
    "estimate": "double",
    "std_error": "double",
    "ci_low": "double",
    "ci_high": "double",
    "uniform_ci_low": "double",
    "uniform_ci_high": "double",
    "inference": "varchar",
}
BALANCE_COLUMNS: dict[str, str] = {
    "programme": "varchar",
    "variable": "varchar",
    "treated_mean": "double",
    "comparison_mean": "double",
    "standardised_difference": "double",
    "unit": "varchar",
    "n_treated": "bigint",
    "n_comparison": "bigint",
}
_TEXT_COLUMNS = ("school_urn", "reported_urn", "programme", "academic_year", "term", "phase")
_DATE_COLUMNS = ("term_start_date", "term_end_date")


def read_impact_panel(warehouse: Path) -> pd.DataFrame:
    """`marts.impact_panel` as built by dbt, numbers as floats; a clear error if dbt has not built it."""
    with connect(warehouse, read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'impact_panel'"
        ).fetchone()
        if not (found and found[0]):
            raise RuntimeError(
                "marts.impact_panel is missing: build the dbt models before the impact estimates"
            )
        panel = connection.execute(
            "select * from marts.impact_panel order by programme, school_urn, term_index"
        ).df()
    for column in ("term_index", "first_treated_term_index", "first_other_programme_term_index"):
        panel[column] = panel[column].astype("int64")
    numeric = [c for c in panel.columns if c not in (*_TEXT_COLUMNS, *_DATE_COLUMNS, "is_treated")]
    panel[numeric] = panel[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    panel["school_urn"] = panel["school_urn"].astype(str)
    return panel


def _write_table(
    connection: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, columns: dict[str, str]
) -> None:
    view = f"{name}_rows"
    rows = (
        frame.reindex(columns=list(columns))
        .astype(object)
        .where(frame.reindex(columns=list(columns)).notna())
    )
    connection.register(view, rows)
    select = ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in columns.items())
    connection.execute(f"create or replace table marts.{name} as select {select} from {view}")
    connection.unregister(view)


def write_impact_tables(
    warehouse: Path, estimates: pd.DataFrame, event_study: pd.DataFrame, balance: pd.DataFrame
) -> None:
    """Replace `marts.impact_estimates`, `marts.event_study` and `marts.impact_balance` together."""
    with transaction(warehouse) as connection:
        connection.execute("create schema if not exists marts")
        _write_table(connection, "impact_estimates", estimates, ESTIMATE_COLUMNS)
        _write_table(connection, "event_study", event_study, EVENT_STUDY_COLUMNS)
        _write_table(connection, "impact_balance", balance, BALANCE_COLUMNS)
