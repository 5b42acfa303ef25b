with

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
    -- the newest snapshot is the truth for history
    where is_newest_snapshot
),

provision_types as (
    select * from {{ ref('provision_types') }}
),

typical_costs as (
    select * from {{ ref('typical_annual_costs') }}
),

-- Costs are taken at the end of the newest snapshot's month, where the placements forecast starts.
costed_at as (
    select
        max(snapshot_month) as snapshot_month,
        {{ month_end('max(snapshot_month)') }} as costed_at_date
    from placements
),

placements_with_date as (
    select
        placements.*,
        costed_at.costed_at_date,
        placements.placement_start <= costed_at.costed_at_date
            and (placements.placement_end is null or placements.placement_end > costed_at.costed_at_date)
            as is_open_at_date,
        placements.placement_start <= costed_at.costed_at_date
            and (
                placements.placement_end is null
                or placements.placement_end >= cast(date_trunc('month', costed_at.costed_at_date) - interval 11 month as date)
            )
            as is_open_in_last_year
    from placements
    cross join costed_at
),

by_type as (
    select
        provision_type,
        avg(cast(annual_cost_gbp as double)) filter (where is_open_at_date) as open_at_date_gbp,
        count(*) filter (where is_open_at_date) as open_at_date_placements,
        avg(cast(annual_cost_gbp as double)) filter (where is_open_in_last_year) as open_in_last_year_gbp,
        count(*) filter (where is_open_in_last_year) as open_in_last_year_placements,
        avg(cast(annual_cost_gbp as double)) as any_time_gbp,
        count(*) as any_time_placements
    from placements_with_date
    group by provision_type
),

-- Open placements' mean agreed cost; a type with none open: the last 12 months', else any time's, else England's.
chosen as (
    select
        provision_types.provision_type,
        case
            when by_type.open_at_date_placements > 0 then 'open_at_date'
            when by_type.open_in_last_year_placements > 0 then 'open_in_last_year'
            when by_type.any_time_placements > 0 then 'any_time'
            else 'typical_in_england'
        end as unit_cost_basis,
        coalesce(
            by_type.open_at_date_gbp,
            by_type.open_in_last_year_gbp,
            by_type.any_time_gbp,
            cast(typical_costs.typical_annual_cost_gbp as double)
        ) as unit_cost_gbp,
        case
            when by_type.open_at_date_placements > 0 then by_type.open_at_date_placements
            when by_type.open_in_last_year_placements > 0 then by_type.open_in_last_year_placements
            else coalesce(by_type.any_time_placements, 0)
        end as placements_costed
    from provision_types
    left join by_type
        on provision_types.provision_type = by_type.provision_type
    left join typical_costs
        on provision_types.provision_type = typical_costs.provision_type
),

final as (
    select
        -- keys
        chosen.provision_type,

        -- the cost of one placement a year
        cast(round(chosen.unit_cost_gbp, 2) as decimal(18, 2)) as unit_cost_gbp,
        chosen.unit_cost_basis,
        cast(chosen.placements_costed as integer) as placements_costed,

        -- when
        costed_at.snapshot_month as placements_snapshot_month,
        costed_at.costed_at_date

    from chosen
    cross join costed_at
)

select * from final
order by provision_type
