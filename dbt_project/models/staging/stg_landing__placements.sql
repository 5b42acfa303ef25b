with

source as (
    select * from {{ source('landing', 'placements') }}
),

renamed as (
    select
        -- ids
        placement_id,
        pupil_pseudonym,
        provider_urn,

        -- child (no name, UPN or date of birth ever reaches the warehouse)
        sex,
        ethnicity,
        age_at_extract,
        nc_year_at_extract,
        primary_need,
        locality,

        -- placement
        provision_type,
        provider_name,
        end_reason,

        -- dates
        ehcp_start_date,
        placement_start,
        placement_end,

        -- money
        cast(annual_cost_gbp as decimal(18, 2)) as annual_cost_gbp,

        -- snapshot
        _extract_month as snapshot_month,
        _source_row as source_row

    from source
)

select * from renamed
