"""Is the finance data current? A warning when the newest ledger month ended more than 40 days ago.

The check looks at what the data covers (the newest accounting month), not at when the asset last ran:
a run that re-loads last month's file is still stale data for Schools Forum.
"""

import calendar
from datetime import date, timedelta

import dagster as dg

from orchestration.assets.landing import WAREHOUSE_POOL, landing_asset_key
from orchestration.resources import HighNeedsHome
from orchestration.warehouse import connect

LEDGER_STALE_AFTER = timedelta(days=40)


def ledger_staleness(newest_period: str | None, today: date) -> tuple[bool, str]:
    """(fresh?, why) for the newest ledger accounting month `YYYY-MM` as seen on `today`."""
    if newest_period is None:
        return False, "no ledger month has been loaded yet"
    year, month = (int(part) for part in newest_period.split("-"))
    month_end = date(year, month, calendar.monthrange(year, month)[1])
    age = today - month_end
    if age > LEDGER_STALE_AFTER:
        return (
            False,
            f"the newest ledger month is {newest_period}, which ended {age.days} days ago (limit 40)",
        )
    return True, f"the newest ledger month is {newest_period}, which ended {max(age.days, 0)} days ago"


@dg.asset_check(
    asset=landing_asset_key("hn_ledger"),
    name="ledger_is_recent",
    description="Warns when the newest ledger accounting month ended more than 40 days ago.",
    pool=WAREHOUSE_POOL,
    blocking=False,
)
def ledger_is_recent(highneeds: HighNeedsHome) -> dg.AssetCheckResult:
    settings = highneeds.settings
    newest = None
    if settings.warehouse.exists():
        with connect(settings.warehouse, read_only=True) as connection:
            exists = connection.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'raw' and table_name = 'hn_ledger'"
            ).fetchone()[0]
            if exists:
                newest = connection.execute("select max(period) from raw.hn_ledger").fetchone()[0]
    fresh, why = ledger_staleness(newest, date.today())
    return dg.AssetCheckResult(
        passed=fresh,
        severity=dg.AssetCheckSeverity.WARN,
        description=why,
        metadata={"newest_ledger_month": newest or "none"},
    )
