with

months as (
    select * from {{ ref('int_financial_years__months') }}
),

snapshots_as_at as (
    select * from {{ ref('int_placements__snapshot_as_at') }}
    where placements_snapshot_month is not null
),

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
),

-- The window is the 12 months ending with M: from the first day of M − 11 months to M's last day.
windows as (
    select
        snapshots_as_at.financial_year,
        snapshots_as_at.as_at_month,
        snapshots_as_at.placements_snapshot_month,
        cast(months.month_start_date - interval 11 month as date) as window_start_date,
        months.month_end_date as window_end_date,
        date_diff('day', cast(months.month_start_date - interval 11 month as date), months.month_end_date) + 1
            as window_days
    from snapshots_as_at
    inner join months
        on snapshots_as_at.as_at_month = months.month
),

-- Every placement of the snapshot in use that is open on at least one day of the window.
at_risk as (
    select
        windows.as_at_month,
        windows.window_days,
        placements.provision_type,
        placements.placement_end between windows.window_start_date and windows.window_end_date as left_in_window,
        date_diff(
            'day',
            greatest(placements.placement_start, windows.window_start_date),
            least(coalesce(placements.placement_end, windows.window_end_date), windows.window_end_date)
        ) + 1 as days_at_risk
    from windows
    inner join placements
        on windows.placements_snapshot_month = placements.snapshot_month
        and placements.placement_start <= windows.window_end_date
        and (placements.placement_end is null or placements.placement_end >= windows.window_start_date)
),

by_type as (
    select
        as_at_month,
        provision_type,
        count(*) filter (where left_in_window) as leavers,
        -- a placement-year is a placement open for the whole window
        sum(days_at_risk) / any_value(window_days) as placement_years
    from at_risk
    group by as_at_month, provision_type
),

all_types as (
    select
        as_at_month,
        sum(leavers) as all_types_leavers,
        sum(placement_years) as all_types_placement_years,
        sum(leavers) / sum(placement_years) as all_types_hazard
    from by_type
    group by as_at_month
),

final as (
    select
        -- keys
        windows.financial_year,
        by_type.as_at_month,
        by_type.provision_type,
        windows.placements_snapshot_month,

        -- the provision type's own experience in the window
        by_type.leavers,
        by_type.placement_years,
        by_type.leavers / by_type.placement_years as unshrunk_hazard,

        -- every type pooled
        all_types.all_types_leavers,
        all_types.all_types_placement_years,
        all_types.all_types_hazard,

        -- shrunk towards the pooled hazard by 10 pseudo-leavers; no leavers at all: nobody is expected to leave
        case
            when all_types.all_types_leavers = 0 then 0.0
            else (by_type.leavers + 10) / (by_type.placement_years + 10 / all_types.all_types_hazard)
        end as hazard

    from by_type
    inner join all_types
        on by_type.as_at_month = all_types.as_at_month
    inner join windows
        on by_type.as_at_month = windows.as_at_month
)

select * from final
