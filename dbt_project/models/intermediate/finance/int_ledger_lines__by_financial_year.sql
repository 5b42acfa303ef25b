with

ledger as (
    select * from {{ ref('stg_landing__hn_ledger') }}
),

with_year as (
    select
        transaction_id,
        placement_id,
        s251_line,
        provision_type,
        ledger_month,
        {{ financial_year_of_month('ledger_month') }} as financial_year,
        {{ month_of_financial_year('ledger_month') }} as month_of_financial_year,
        amount_gbp

    from ledger
)

select * from with_year
