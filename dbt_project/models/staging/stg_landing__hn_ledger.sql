with

source as (
    select * from {{ source('landing', 'hn_ledger') }}
),

renamed as (
    select
        -- ids
        transaction_id,
        placement_id,
        cost_centre,
        provider_urn,

        -- codes
        s251_line,
        provision_type,

        -- text
        provider_name,
        description,

        -- dates
        period as ledger_month,
        posting_date,

        -- money
        cast(amount_gbp as decimal(18, 2)) as amount_gbp,

        -- lineage
        _extract_month as extract_month,
        _source_file as source_file,
        _source_row as source_row

    from source
)

select * from renamed
