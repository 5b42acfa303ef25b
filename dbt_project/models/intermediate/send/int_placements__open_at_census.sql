with

placements as (
    select * from {{ ref('stg_landing__placements') }}
),

provision_types as (
    select * from {{ ref('provision_types') }}
),

age_bands as (
    select * from {{ ref('sen2_age_bands') }}
),

-- The SEN2 census is taken in January; the newest snapshot gives today's picture beside it.
census_snapshots as (
    select
        snapshot_month,
        right(snapshot_month, 2) = '01' as is_january,
        snapshot_month = max(snapshot_month) over () as is_latest,
        {{ month_end('snapshot_month') }} as census_date
    from (select distinct snapshot_month from placements)
    qualify is_january or is_latest
),

-- Each snapshot's own age_at_extract is the age at its month's end, exactly the census date.
open_at_census as (
    select
        census_snapshots.snapshot_month,
        census_snapshots.census_date,
        census_snapshots.is_january,
        census_snapshots.is_latest,
        placements.placement_id,
        placements.age_at_extract as age_at_census,
        placements.primary_need,
        placements.provision_type
    from placements
    inner join census_snapshots
        on placements.snapshot_month = census_snapshots.snapshot_month
    where placements.placement_start <= census_snapshots.census_date
        and (placements.placement_end is null or placements.placement_end >= census_snapshots.census_date)
),

-- A band holds the ages from its min_age up; the oldest band also holds any age past 25.
with_band as (
    select
        open_at_census.*,
        age_bands.age_band
    from open_at_census
    asof left join age_bands
        on open_at_census.age_at_census >= age_bands.min_age
),

final as (
    select
        -- keys
        with_band.snapshot_month,
        with_band.placement_id,

        -- census
        with_band.census_date,
        with_band.is_january,
        with_band.is_latest,

        -- child and placement
        with_band.age_at_census,
        with_band.age_band,
        with_band.primary_need,
        with_band.provision_type,
        provision_types.provision_group

    from with_band
    left join provision_types
        on with_band.provision_type = provision_types.provision_type
)

select * from final
