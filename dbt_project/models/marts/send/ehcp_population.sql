with

open_at_census as (
    select * from {{ ref('int_placements__open_at_census') }}
),

counted as (
    select
        snapshot_month,
        age_band,
        primary_need,
        provision_type,
        any_value(provision_group) as provision_group,
        any_value(census_date) as census_date,
        bool_or(is_january) as is_january,
        bool_or(is_latest) as is_latest,
        count(*) as ehcps
    from open_at_census
    group by snapshot_month, age_band, primary_need, provision_type
),

final as (
    select
        -- keys
        snapshot_month,
        age_band,
        primary_need,
        provision_type,

        -- census
        census_date,
        is_january,
        is_latest,
        provision_group,

        -- counts
        cast(ehcps as integer) as ehcps

    from counted
)

select * from final
order by snapshot_month, age_band, primary_need, provision_type
