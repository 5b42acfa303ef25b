with

placements as (
    select * from {{ ref('stg_landing__placements') }}
),

newest_snapshot as (
    -- the newest snapshot holds every placement's history, ended ones with their end_reason
    select * from placements
    where snapshot_month = (select max(snapshot_month) from placements)
        and provision_type = 'alternative_provision'
),

academic_years as (
    select
        year_start,
        year_start || '/' || right(cast(year_start + 1 as varchar), 2) as academic_year,
        make_date(year_start, 9, 1) as year_first_day,
        make_date(year_start + 1, 8, 31) as year_last_day
    from generate_series(
        (select year(min(placement_start)) - 1 from newest_snapshot),
        (select year(max(cast(snapshot_month || '-01' as date))) from newest_snapshot)
    ) as series(year_start)
),

stays as (
    select
        newest_snapshot.*,
        academic_years.academic_year,
        academic_years.year_first_day,
        academic_years.year_last_day,
        -- the snapshot's month end stands in for the end of a placement still open
        least(
            coalesce(newest_snapshot.placement_end, last_day(cast(newest_snapshot.snapshot_month || '-01' as date))),
            academic_years.year_last_day
        ) as last_day_in_year,
        greatest(newest_snapshot.placement_start, academic_years.year_first_day) as first_day_in_year
    from newest_snapshot
    inner join academic_years
        on newest_snapshot.placement_start <= academic_years.year_last_day
        and coalesce(
            newest_snapshot.placement_end, last_day(cast(newest_snapshot.snapshot_month || '-01' as date))
        ) >= academic_years.year_first_day
),

final as (
    select
        -- keys
        placement_id,
        academic_year,

        -- who and where
        pupil_pseudonym,
        provider_urn,
        provider_name,

        -- the stay
        placement_start,
        placement_end,
        end_reason,
        coalesce(placement_end between year_first_day and year_last_day, false) as ended_in_year,
        case when placement_end between year_first_day and year_last_day
            then date_diff('day', placement_start, placement_end) + 1
        end as length_of_stay_days,
        date_diff('day', first_day_in_year, last_day_in_year) + 1 as days_in_year,

        -- money: the annual cost for the days of the year the placement was open (365 days a year)
        annual_cost_gbp,
        cast(annual_cost_gbp * (date_diff('day', first_day_in_year, last_day_in_year) + 1) / 365.0
            as decimal(18, 2)) as cost_in_year_gbp

    from stays
    where last_day_in_year >= first_day_in_year
)

select * from final
