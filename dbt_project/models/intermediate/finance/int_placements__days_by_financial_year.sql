with

placements as (
    select * from {{ ref('int_placements__with_s251_line') }}
    -- the newest snapshot is the truth for history
    where is_newest_snapshot
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

overlapping as (
    select
        financial_years.financial_year,
        financial_years.days_in_period,
        financial_years.days_in_financial_year,
        placements.*,
        greatest(placements.placement_start, financial_years.period_start_date) as first_open_date,
        -- a blank end means still open
        least(coalesce(placements.placement_end, financial_years.period_end_date), financial_years.period_end_date)
            as last_open_date
    from placements
    inner join financial_years
        on placements.placement_start <= financial_years.period_end_date
        and (placements.placement_end is null or placements.placement_end >= financial_years.period_start_date)
),

final as (
    select
        -- keys
        financial_year,
        placement_id,
        snapshot_month,

        -- codes
        provision_type,
        primary_need,
        s251_line,

        -- days (start and end inclusive)
        first_open_date,
        last_open_date,
        date_diff('day', first_open_date, last_open_date) + 1 as placement_days,
        days_in_period,
        days_in_financial_year,

        -- money
        annual_cost_gbp

    from overlapping
)

select * from final
