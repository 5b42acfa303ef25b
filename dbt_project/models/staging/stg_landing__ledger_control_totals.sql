with

source as (
    select * from {{ source('landing', 'ledger_control_totals') }}
),

renamed as (
    select
        -- keys
        period as ledger_month,
        -- blank: the control total is for the whole High Needs block
        s251_line,

        -- money
        cast(amount_gbp as decimal(18, 2)) as control_total_gbp,

        -- lineage
        source as control_total_source,
        _source_row as source_row

    from source
)

select * from renamed
