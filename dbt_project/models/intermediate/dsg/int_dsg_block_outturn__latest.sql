with

block_figures as (
    select * from {{ ref('stg_landing__dsg_block_outturn') }}
),

-- The outturn is final; before it, the forecast made in the latest month stands.
latest as (
    select
        financial_year,
        dsg_block,
        spend_status,
        as_at_month,
        spend_gbp
    from block_figures
    qualify row_number() over (
        partition by financial_year, dsg_block
        order by spend_status = 'outturn' desc, as_at_month desc nulls last
    ) = 1
),

final as (
    select
        -- keys
        financial_year,
        dsg_block,

        -- the figure used
        spend_status,
        as_at_month,
        spend_gbp

    from latest
)

select * from final
