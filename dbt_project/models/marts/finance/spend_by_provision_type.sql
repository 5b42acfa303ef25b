with

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

latest_ledger_month as (
    select max(ledger_month) as ledger_month from ledger_lines
),

-- Every month of each year up to the latest ledger month, so a line with no spend in a month shows 0.
months_of_year as (
    select distinct
        financial_year,
        strftime(month_start, '%Y-%m') as month
    from ledger_lines,
        generate_series(
            {{ financial_year_start('financial_year') }},
            {{ financial_year_end('financial_year') }},
            interval 1 month
        ) as months(month_start)
    where strftime(month_start, '%Y-%m') <= (select ledger_month from latest_ledger_month)
),

lines_of_year as (
    select distinct financial_year, s251_line, provision_type
    from ledger_lines
),

monthly_actuals as (
    select
        financial_year,
        ledger_month as month,
        s251_line,
        provision_type,
        sum(amount_gbp) as actual_gbp
    from ledger_lines
    group by all
),

grid as (
    select
        lines_of_year.financial_year,
        months_of_year.month,
        lines_of_year.s251_line,
        lines_of_year.provision_type
    from lines_of_year
    inner join months_of_year
        on lines_of_year.financial_year = months_of_year.financial_year
),

final as (
    select
        grid.financial_year,
        grid.month,
        grid.s251_line,
        grid.provision_type,
        coalesce(monthly_actuals.actual_gbp, 0) as actual_gbp,
        sum(coalesce(monthly_actuals.actual_gbp, 0)) over (
            partition by grid.financial_year, grid.s251_line, grid.provision_type
            order by grid.month
            rows between unbounded preceding and current row
        ) as ytd_actual_gbp
    from grid
    left join monthly_actuals
        on grid.financial_year = monthly_actuals.financial_year
        and grid.month = monthly_actuals.month
        and grid.s251_line = monthly_actuals.s251_line
        and grid.provision_type is not distinct from monthly_actuals.provision_type
)

select * from final
order by financial_year, month, s251_line, provision_type
