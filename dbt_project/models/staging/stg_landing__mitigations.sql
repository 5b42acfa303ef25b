with

source as (
    select * from {{ source('landing', 'mitigations') }}
),

renamed as (
    select
        -- keys
        workstream,
        financial_year,

        -- who answers for it
        owner,
        status as status_note,

        -- money (a blank delivered saving is not yet known, never 0)
        cast(target_saving_gbp as decimal(18, 2)) as target_saving_gbp,
        cast(delivered_saving_gbp as decimal(18, 2)) as delivered_saving_gbp,

        -- lineage
        _source_row as source_row

    from source
)

select * from renamed
