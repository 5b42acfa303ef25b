"""Real DfE statistics (vendored, OGL v3.0) loaded beside the county's own data for benchmarking.

The public data readers (pandas, openpyxl) are imported when the asset runs, not when the definitions load.
"""

import dagster as dg

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.warehouse import transaction


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            dg.AssetKey(["raw", "dfe_benchmarks"]),
            group_name="public_data",
            description="DfE published figures (DSG balance % of DSG, EHC requests and new plans, High Needs "
            "budget per head by s251 line) for every LA, region and England.",
            kinds={"duckdb", "python"},
        ),
        dg.AssetSpec(
            dg.AssetKey(["raw", "dfe_statistical_neighbours"]),
            group_name="public_data",
            description="The county's LA code and its documented statistical neighbours (neighbours.yaml).",
            kinds={"duckdb", "python"},
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def dfe_benchmarks(context: dg.AssetExecutionContext, highneeds: HighNeedsHome):
    import pandas as pd

    from orchestration.public_data import load_neighbours, load_public_benchmarks

    published = load_public_benchmarks()
    neighbour_set = load_neighbours()
    neighbours = neighbour_set.neighbours.assign(role="neighbour")
    the_la = pd.DataFrame(
        [{"old_la_code": neighbour_set.la_old_code, "name": neighbour_set.la_name, "role": "la"}]
    )
    areas = pd.concat([the_la, neighbours], ignore_index=True)
    with transaction(highneeds.settings.warehouse) as connection:
        connection.execute("create schema if not exists raw")
        connection.register("published", published)
        connection.execute("create or replace table raw.dfe_benchmarks as select * from published")
        connection.register("areas", areas)
        connection.execute("create or replace table raw.dfe_statistical_neighbours as select * from areas")
    report(context, f"public data: {len(published):,} DfE figures, {len(neighbours)} statistical neighbours")
    yield dg.MaterializeResult(
        asset_key=["raw", "dfe_statistical_neighbours"], metadata={"dagster/row_count": len(areas)}
    )
    yield dg.MaterializeResult(
        asset_key=["raw", "dfe_benchmarks"],
        metadata={
            "dagster/row_count": len(published),
            "neighbour_method": neighbour_set.method,
            "neighbours": dg.MetadataValue.json(neighbour_set.neighbours["name"].tolist()),
            "licence": "Contains public sector information licensed under the Open Government Licence v3.0.",
        },
    )
