with

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

-- A year's forecasts follow the profile of the latest year closed before it.
profile_years as (
    select
        financial_years.financial_year,
        max(closed_years.financial_year) as profile_financial_year
    from financial_years
    inner join financial_years as closed_years
        on closed_years.is_closed
        and closed_years.financial_year < financial_years.financial_year
    group by financial_years.financial_year
),

-- Spend that is not a placement is what the run-rate forecasts.
nonplacement_by_month as (
    select
        financial_year,
        s251_line,
        month_of_financial_year,
        sum(amount_gbp) as nonplacement_gbp
    from ledger_lines
    where placement_id is null
    group by financial_year, s251_line, month_of_financial_year
),

lines_of_profile_year as (
    select distinct
        financial_year,
        s251_line
    from nonplacement_by_month
),

grid as (
    select
        profile_years.financial_year,
        profile_years.profile_financial_year,
        lines_of_profile_year.s251_line,
        cast(months.month_of_financial_year as integer) as month_of_financial_year
    from profile_years
    inner join lines_of_profile_year
        on profile_years.profile_financial_year = lines_of_profile_year.financial_year
    cross join generate_series(1, 12) as months(month_of_financial_year)
),

with_spend as (
    select
        grid.*,
        coalesce(nonplacement_by_month.nonplacement_gbp, 0) as nonplacement_gbp
    from grid
    left join nonplacement_by_month
        on grid.profile_financial_year = nonplacement_by_month.financial_year
        and grid.s251_line = nonplacement_by_month.s251_line
        and grid.month_of_financial_year = nonplacement_by_month.month_of_financial_year
),

cumulative as (
    select
        *,
        sum(nonplacement_gbp) over (
            partition by financial_year, s251_line
            order by month_of_financial_year
            rows between unbounded preceding and current row
        ) as cumulative_nonplacement_gbp,
        sum(nonplacement_gbp) over (partition by financial_year, s251_line) as profile_year_nonplacement_gbp
    from with_spend
),

final as (
    select
        -- keys
        financial_year,
        s251_line,
        month_of_financial_year,
        profile_financial_year,

        -- the profile year's spend without a placement
        cast(nonplacement_gbp as decimal(18, 2)) as nonplacement_gbp,
        cast(cumulative_nonplacement_gbp as decimal(18, 2)) as cumulative_nonplacement_gbp,
        cast(profile_year_nonplacement_gbp as decimal(18, 2)) as profile_year_nonplacement_gbp,

        -- s_m: the share of the profile year's spend posted in months 1..m
        case
            when profile_year_nonplacement_gbp <> 0
                then cast(cumulative_nonplacement_gbp as double) / cast(profile_year_nonplacement_gbp as double)
        end as cumulative_share

    from cumulative
)

select * from final
