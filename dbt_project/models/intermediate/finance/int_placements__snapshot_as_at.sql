with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
),

as_at_months as (
    select * from months
    where is_elapsed
),

snapshot_months as (
    select distinct snapshot_month from placements
),

-- A forecast as at M uses what was known then: the newest snapshot taken in or before M.
newest_snapshot_by_as_at as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        max(snapshot_months.snapshot_month) as snapshot_month
    from as_at_months
    left join snapshot_months
        on snapshot_months.snapshot_month <= as_at_months.month
    group by as_at_months.financial_year, as_at_months.month
),

with_age as (
    select
        *,
        date_diff(
            'month', cast(snapshot_month || '-01' as date), cast(as_at_month || '-01' as date)
        ) as snapshot_age_months
    from newest_snapshot_by_as_at
),

final as (
    select
        -- keys
        financial_year,
        as_at_month,

        -- snapshot in use
        snapshot_month as placements_snapshot_month,
        snapshot_age_months,
        case
            when snapshot_month is null then 'no_snapshot'
            when snapshot_age_months > 3 then 'stale_snapshot'
            else 'ok'
        end as forecast_quality

    from with_age
)

select * from final
