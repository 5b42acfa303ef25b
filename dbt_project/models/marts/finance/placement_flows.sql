with

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
    -- the newest snapshot is the truth for history
    where is_newest_snapshot
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

-- From the first ledger month (the finance window; else the first placement start) to the snapshot month.
flow_window as (
    select
        cast(coalesce(
            (select min(ledger_month) from ledger_lines) || '-01',
            strftime(min(placement_start), '%Y-%m-01')
        ) as date) as first_month_start,
        cast(max(snapshot_month) || '-01' as date) as last_month_start,
        max(snapshot_month) as snapshot_month
    from placements
),

months as (
    select
        strftime(month_start, '%Y-%m') as month,
        cast(month_start as date) as month_start_date,
        last_day(cast(month_start as date)) as month_end_date,
        flow_window.snapshot_month
    from flow_window,
        generate_series(flow_window.first_month_start, flow_window.last_month_start, interval 1 month)
            as series(month_start)
),

placements_in_window as (
    select placements.*
    from placements
    cross join flow_window
    where placements.placement_start <= last_day(flow_window.last_month_start)
        and (placements.placement_end is null or placements.placement_end >= flow_window.first_month_start)
),

groups as (
    select distinct provision_type, primary_need from placements_in_window
),

flows as (
    select
        months.month,
        months.month_start_date,
        months.snapshot_month,
        groups.provision_type,
        groups.primary_need,
        count(placements_in_window.placement_id) filter (
            where placements_in_window.placement_start between months.month_start_date and months.month_end_date
        ) as starters,
        count(placements_in_window.placement_id) filter (
            where placements_in_window.placement_end between months.month_start_date and months.month_end_date
        ) as leavers,
        -- a placement that ends on the month's last day has left: active(M) = active(M-1) + starters − leavers
        count(placements_in_window.placement_id) filter (
            where placements_in_window.placement_start <= months.month_end_date
            and (placements_in_window.placement_end is null or placements_in_window.placement_end > months.month_end_date)
        ) as active_end_of_month
    from months
    cross join groups
    left join placements_in_window
        on groups.provision_type = placements_in_window.provision_type
        and groups.primary_need = placements_in_window.primary_need
    group by all
),

final as (
    select
        -- keys
        month,
        {{ financial_year_of_date('month_start_date') }} as financial_year,
        provision_type,
        primary_need,

        -- flows
        starters,
        leavers,
        active_end_of_month,

        snapshot_month as placements_snapshot_month

    from flows
)

select * from final
order by month, provision_type, primary_need
