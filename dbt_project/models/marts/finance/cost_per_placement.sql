with

placement_days as (
    select * from {{ ref('int_placements__days_by_financial_year') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

placements_by_type as (
    select
        financial_year,
        provision_type,
        any_value(snapshot_month) as snapshot_month,
        cast(sum(placement_days) as bigint) as placement_days,
        count(distinct placement_id) as placements_headcount,
        median(cast(annual_cost_gbp as double)) as median_annual_cost_gbp
    from placement_days
    group by financial_year, provision_type
),

spend_by_type as (
    select
        financial_year,
        provision_type,
        sum(amount_gbp) as spend_gbp
    from ledger_lines
    where provision_type is not null
    group by financial_year, provision_type
),

types_of_year as (
    select financial_year, provision_type from placements_by_type
    union
    select financial_year, provision_type from spend_by_type
),

joined as (
    select
        types_of_year.financial_year,
        types_of_year.provision_type,
        financial_years.period_start_date,
        financial_years.period_end_date,
        financial_years.days_in_period,
        financial_years.days_in_financial_year,
        financial_years.is_closed,
        placements_by_type.snapshot_month,
        coalesce(placements_by_type.placement_days, 0) as placement_days,
        coalesce(placements_by_type.placements_headcount, 0) as placements_headcount,
        placements_by_type.median_annual_cost_gbp,
        coalesce(spend_by_type.spend_gbp, 0) as spend_gbp
    from types_of_year
    inner join financial_years
        on types_of_year.financial_year = financial_years.financial_year
    left join placements_by_type
        on types_of_year.financial_year = placements_by_type.financial_year
        and types_of_year.provision_type = placements_by_type.provision_type
    left join spend_by_type
        on types_of_year.financial_year = spend_by_type.financial_year
        and types_of_year.provision_type = spend_by_type.provision_type
),

final as (
    select
        -- keys
        financial_year,
        provision_type,

        -- period covered
        period_start_date,
        period_end_date,
        days_in_period,
        days_in_financial_year,
        is_closed,

        -- placements (newest snapshot)
        placement_days,
        placement_days / days_in_period as placements_fte,
        placements_headcount,
        cast(round(median_annual_cost_gbp, 2) as decimal(18, 2)) as median_annual_cost_gbp,

        -- money
        cast(spend_gbp as decimal(18, 2)) as spend_gbp,
        -- an annual cost per full-time placement: comparable between a closed year and one in progress
        case
            when placement_days > 0
                then cast(round(cast(spend_gbp as double) / placement_days * days_in_financial_year, 2) as decimal(18, 2))
        end as cost_per_fte_gbp,

        snapshot_month as placements_snapshot_month

    from joined
)

select * from final
order by financial_year, provision_type
