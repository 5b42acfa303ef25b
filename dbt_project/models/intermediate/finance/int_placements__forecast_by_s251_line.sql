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
snapshot_as_at as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        max(snapshot_months.snapshot_month) as snapshot_month
    from as_at_months
    inner join snapshot_months
        on snapshot_months.snapshot_month <= as_at_months.month
    group by all
),

-- Σ over the months left after M of (days from the month's first day to 31 March, inclusive) ÷ days in the year.
remaining_year_fraction as (
    select
        as_at_months.financial_year,
        as_at_months.month as as_at_month,
        coalesce(sum(date_diff('day', later_months.month_start_date, later_months.year_end_date) + 1), 0)
            / any_value(as_at_months.days_in_financial_year) as remaining_year_fraction
    from as_at_months
    left join months as later_months
        on as_at_months.financial_year = later_months.financial_year
        and later_months.month > as_at_months.month
    group by all
),

placements_as_at as (
    select
        snapshot_as_at.financial_year,
        snapshot_as_at.as_at_month,
        snapshot_as_at.snapshot_month,
        as_at_months.month_start_date,
        as_at_months.month_end_date,
        as_at_months.year_end_date,
        as_at_months.days_in_financial_year,
        placements.placement_id,
        placements.s251_line,
        placements.placement_start,
        placements.placement_end,
        cast(placements.annual_cost_gbp as double) as annual_cost_gbp,
        -- placements that will start after M are not yet committed: growth stands for them
        placements.placement_start <= as_at_months.month_end_date as is_started,
        placements.placement_start
            between cast(as_at_months.month_start_date - interval 11 month as date) and as_at_months.month_end_date
            as is_recent_starter
    from snapshot_as_at
    inner join as_at_months
        on snapshot_as_at.financial_year = as_at_months.financial_year
        and snapshot_as_at.as_at_month = as_at_months.month
    inner join placements
        on snapshot_as_at.snapshot_month = placements.snapshot_month
),

with_open_days as (
    select
        *,
        case
            when is_started then greatest(
                0,
                date_diff(
                    'day',
                    month_end_date,
                    least(coalesce(placement_end, year_end_date), year_end_date)
                )
            )
            else 0
        end as open_days_after_as_at
    from placements_as_at
),

by_line as (
    select
        financial_year,
        as_at_month,
        s251_line,
        any_value(snapshot_month) as snapshot_month,
        count(*) filter (where open_days_after_as_at > 0) as committed_placements,
        coalesce(sum(annual_cost_gbp * open_days_after_as_at / days_in_financial_year), 0) as committed_placements_gbp,
        count(*) filter (where is_recent_starter) as growth_starters,
        avg(annual_cost_gbp) filter (where is_recent_starter) as growth_mean_annual_cost_gbp
    from with_open_days
    group by financial_year, as_at_month, s251_line
),

final as (
    select
        -- keys
        by_line.financial_year,
        by_line.as_at_month,
        by_line.s251_line,
        by_line.snapshot_month as placements_snapshot_month,

        -- committed
        by_line.committed_placements,
        cast(round(by_line.committed_placements_gbp, 2) as decimal(18, 2)) as committed_placements_gbp,

        -- growth
        by_line.growth_starters,
        cast(round(by_line.growth_mean_annual_cost_gbp, 2) as decimal(18, 2)) as growth_mean_annual_cost_gbp,
        remaining_year_fraction.remaining_year_fraction,
        cast(round(coalesce(
            by_line.growth_starters / 12 * by_line.growth_mean_annual_cost_gbp
            * remaining_year_fraction.remaining_year_fraction,
            0
        ), 2) as decimal(18, 2)) as growth_gbp

    from by_line
    inner join remaining_year_fraction
        on by_line.financial_year = remaining_year_fraction.financial_year
        and by_line.as_at_month = remaining_year_fraction.as_at_month
)

select * from final
