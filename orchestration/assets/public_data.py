"""Real DfE statistics (vendored, OGL v3.0) and the installation's own LA, loaded for benchmarking.

The public data readers (pandas, openpyxl) are imported when the asset runs, not when the definitions load.
"""

import dagster as dg

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.config import known_la_codes
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.warehouse import transaction

_LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0."


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            dg.AssetKey(["raw", "dfe_benchmarks"]),
            group_name="public_data",
            description="DfE published figures (DSG balance % of DSG, EHC requests and new plans, High Needs "
            "budget per head by s251 line, children in need with an EHC plan) for every LA, region and "
            "England.",
            kinds={"duckdb", "python"},
        ),
        dg.AssetSpec(
            dg.AssetKey(["raw", "dfe_la_profiles"]),
            group_name="public_data",
            description="Each current LA's 2-18 population, EHC plans and independent special placements "
            "(DfE high needs benchmarking table): the inputs of computed statistical neighbours.",
            kinds={"duckdb", "python"},
        ),
        dg.AssetSpec(
            dg.AssetKey(["raw", "installation_benchmark_areas"]),
            group_name="public_data",
            description="The installation's LA (`la_code` in highneeds.yaml) and the statistical neighbours "
            "it lists; none listed = computed by dbt.",
            kinds={"duckdb", "python"},
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def dfe_benchmarks(context: dg.AssetExecutionContext, highneeds: HighNeedsHome):
    from orchestration.public_data import (
        AREA_COLUMNS,
        installation_areas,
        load_public_benchmarks,
        read_la_profile_figures,
    )

    config = highneeds.settings.config
    published = load_public_benchmarks()
    profiles = read_la_profile_figures()
    areas = installation_areas(config)
    area_columns = ", ".join(f"{name} {kind}" for name, kind in AREA_COLUMNS.items())
    with transaction(highneeds.settings.warehouse) as connection:
        connection.execute("create schema if not exists raw")
        connection.register("published", published)
        connection.execute("create or replace table raw.dfe_benchmarks as select * from published")
        connection.register("profiles", profiles)
        connection.execute("create or replace table raw.dfe_la_profiles as select * from profiles")
        connection.register("areas", areas)
        connection.execute(f"create or replace table raw.installation_benchmark_areas ({area_columns})")
        connection.execute("insert into raw.installation_benchmark_areas select * from areas")
    names = known_la_codes()
    listed = [f"{names[code]} ({code})" for code in config.statistical_neighbours]
    how = f"{len(listed)} listed neighbours" if listed else "neighbours computed from published indicators"
    report(
        context, f"public data: {len(published):,} DfE figures; {config.la_name} ({config.la_code}), {how}"
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "dfe_benchmarks"],
        metadata={"dagster/row_count": len(published), "licence": _LICENCE},
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "dfe_la_profiles"],
        metadata={"dagster/row_count": len(profiles), "licence": _LICENCE},
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "installation_benchmark_areas"],
        metadata={
            "dagster/row_count": len(areas),
            "la": f"{config.la_name} ({config.la_code}, {config.la_region})",
            "neighbours": dg.MetadataValue.json(listed)
            if listed
            else dg.MetadataValue.text("computed by dbt: see marts.statistical_neighbours"),
        },
    )
