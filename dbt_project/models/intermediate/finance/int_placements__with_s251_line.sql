with

placements as (
    select * from {{ ref('stg_landing__placements') }}
),

provision_types as (
    select * from {{ ref('provision_types') }}
),

schools as (
    select * from {{ ref('stg_landing__schools') }}
),

-- The contract's rule for provision types placed by governance (resourced provision, alternative provision).
governance_lines as (
    select * from (
        values
            ('maintained', '1.2.1'),
            ('academy', '1.2.2'),
            ('independent', '1.2.3'),
            ('non_maintained', '1.2.3')
    ) as governance_lines(governance, s251_line)
),

newest_snapshot as (
    select max(snapshot_month) as snapshot_month from placements
),

joined as (
    select
        placements.*,
        provision_types.usual_s251_line,
        provision_types.line_by_governance,
        schools.governance as provider_governance
    from placements
    left join provision_types
        on placements.provision_type = provision_types.provision_type
    left join schools
        on placements.provider_urn = schools.school_urn
),

with_line as (
    select
        joined.*,
        case
            -- an unknown provider counts as maintained
            when joined.line_by_governance then governance_lines.s251_line
            else joined.usual_s251_line
        end as s251_line
    from joined
    left join governance_lines
        on coalesce(joined.provider_governance, 'maintained') = governance_lines.governance
),

final as (
    select
        -- ids
        with_line.snapshot_month,
        with_line.placement_id,
        with_line.pupil_pseudonym,
        with_line.provider_urn,

        -- codes
        with_line.provision_type,
        with_line.primary_need,
        with_line.provider_governance,
        with_line.line_by_governance,
        with_line.s251_line,

        -- dates
        with_line.placement_start,
        with_line.placement_end,

        -- money
        with_line.annual_cost_gbp,

        -- snapshot
        with_line.snapshot_month = newest_snapshot.snapshot_month as is_newest_snapshot

    from with_line
    cross join newest_snapshot
)

select * from final
