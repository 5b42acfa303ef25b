with

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

-- The ledger sets which years the finance marts report: from its first year to the year of its latest month.
ledger_window as (
    select
        min(financial_year) as first_financial_year,
        max(financial_year) as last_financial_year,
        max(ledger_month) as latest_ledger_month
    from ledger_lines
),

financial_years as (
    select
        cast(year_start as date) as year_start_date,
        latest_ledger_month
    from ledger_window,
        generate_series(
            {{ financial_year_start('first_financial_year') }},
            {{ financial_year_start('last_financial_year') }},
            interval 1 year
        ) as years(year_start)
),

months_of_year as (
    select
        financial_years.year_start_date,
        financial_years.latest_ledger_month,
        cast(month_start as date) as month_start_date
    from financial_years,
        generate_series(
            financial_years.year_start_date,
            financial_years.year_start_date + interval 11 month,
            interval 1 month
        ) as months(month_start)
),

final as (
    select
        -- keys
        {{ financial_year_of_date('year_start_date') }} as financial_year,
        strftime(month_start_date, '%Y-%m') as month,
        {{ month_of_financial_year("strftime(month_start_date, '%Y-%m')") }} as month_of_financial_year,

        -- dates
        month_start_date,
        last_day(month_start_date) as month_end_date,
        year_start_date,
        cast(year_start_date + interval 1 year - interval 1 day as date) as year_end_date,
        date_diff('day', year_start_date, cast(year_start_date + interval 1 year as date)) as days_in_financial_year,

        -- ledger
        latest_ledger_month,
        strftime(month_start_date, '%Y-%m') <= latest_ledger_month as is_elapsed

    from months_of_year
)

select * from final
