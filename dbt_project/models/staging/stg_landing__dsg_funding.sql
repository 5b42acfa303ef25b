with

source as (
    select * from {{ source('landing', 'dsg_funding') }}
),

renamed as (
    select
        financial_year,
        block as dsg_block,
        cast(allocation_gbp as decimal(18, 2)) as allocation_gbp,
        cast(deductions_gbp as decimal(18, 2)) as deductions_gbp,
        cast(transfer_in_gbp as decimal(18, 2)) as transfer_in_gbp

    from source
)

select * from renamed
