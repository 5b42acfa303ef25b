with

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

control_totals as (
    select * from {{ ref('stg_landing__ledger_control_totals') }}
),

block_totals as (
    select
        ledger_month,
        any_value(financial_year) as financial_year,
        sum(amount_gbp) as ledger_total_gbp
    from ledger_lines
    group by ledger_month
),

line_totals as (
    select
        ledger_month,
        s251_line,
        sum(amount_gbp) as ledger_total_gbp
    from ledger_lines
    group by ledger_month, s251_line
),

-- Every ledger month is checked as a whole, against its control total when there is one.
block_rows as (
    select
        block_totals.ledger_month,
        block_totals.financial_year,
        cast(null as varchar) as s251_line,
        'block' as scope,
        block_totals.ledger_total_gbp,
        control_totals.control_total_gbp,
        control_totals.control_total_source
    from block_totals
    left join control_totals
        on block_totals.ledger_month = control_totals.ledger_month
        and control_totals.s251_line is null
),

-- A line is checked in the months that have a control total for it (no ledger lines on it count as 0).
line_rows as (
    select
        block_totals.ledger_month,
        block_totals.financial_year,
        control_totals.s251_line,
        'line' as scope,
        coalesce(line_totals.ledger_total_gbp, 0) as ledger_total_gbp,
        control_totals.control_total_gbp,
        control_totals.control_total_source
    from control_totals
    inner join block_totals
        on control_totals.ledger_month = block_totals.ledger_month
    left join line_totals
        on control_totals.ledger_month = line_totals.ledger_month
        and control_totals.s251_line = line_totals.s251_line
    where control_totals.s251_line is not null
),

unioned as (
    select * from block_rows
    union all
    select * from line_rows
),

final as (
    select
        -- keys
        ledger_month,
        financial_year,
        s251_line,
        scope,

        -- totals
        cast(ledger_total_gbp as decimal(18, 2)) as ledger_total_gbp,
        cast(control_total_gbp as decimal(18, 2)) as control_total_gbp,
        cast(ledger_total_gbp - control_total_gbp as decimal(18, 2)) as difference_gbp,
        control_total_source,

        -- within £1.00 reconciles; no control total cannot be proved complete
        case
            when control_total_gbp is null then 'not_reconciled'
            when abs(ledger_total_gbp - control_total_gbp) <= 1.00 then 'reconciled'
            else 'mismatch'
        end as status

    from unioned
)

select * from final
order by ledger_month, scope, s251_line
