with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

-- A year in progress is covered only to the end of the latest ledger month.
period_covered as (
    select
        financial_year,
        any_value(year_start_date) as year_start_date,
        any_value(year_end_date) as year_end_date,
        any_value(days_in_financial_year) as days_in_financial_year,
        max(month_end_date) filter (where is_elapsed) as period_end_date,
        count(*) filter (where is_elapsed) as months_elapsed,
        any_value(latest_ledger_month) as latest_ledger_month
    from months
    group by financial_year
),

final as (
    select
        -- keys
        financial_year,

        -- period covered
        year_start_date as period_start_date,
        period_end_date,
        date_diff('day', year_start_date, period_end_date) + 1 as days_in_period,
        months_elapsed,
        months_elapsed = 12 as is_closed,

        -- the whole year
        year_start_date,
        year_end_date,
        days_in_financial_year,

        latest_ledger_month

    from period_covered
)

select * from final
