with

source as (
    select * from {{ source('landing', 'dsg_block_outturn') }}
),

renamed as (
    select
        -- keys
        financial_year,
        block as dsg_block,
        status as spend_status,
        as_at_month,

        -- money
        cast(spend_gbp as decimal(18, 2)) as spend_gbp,

        -- lineage
        _source_row as source_row

    from source
)

select * from renamed
