with

source as (
    select * from {{ source('landing', 'dsg_balance') }}
),

renamed as (
    select
        financial_year,
        cast(opening_balance_gbp as decimal(18, 2)) as supplied_opening_balance_gbp

    from source
)

select * from renamed
