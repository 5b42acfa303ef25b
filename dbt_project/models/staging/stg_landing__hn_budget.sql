with

source as (
    select * from {{ source('landing', 'hn_budget') }}
),

renamed as (
    select
        financial_year,
        s251_line,
        budget_type,
        cast(amount_gbp as decimal(18, 2)) as budget_gbp,
        approved_on,
        _source_row as source_row

    from source
)

select * from renamed
