with

stays as (
    select * from {{ ref('int_placements__ap_stays_by_academic_year') }}
),

by_provider as (
    select
        provider_urn,
        academic_year,
        any_value(provider_name order by placement_start desc) as provider_name,
        count(distinct pupil_pseudonym) as children,
        count(*) as placements,
        count(*) filter (where ended_in_year) as placements_ended,
        count(*) filter (where ended_in_year and end_reason = 'returned_to_mainstream') as returned_to_mainstream,
        count(*) filter (
            where ended_in_year and end_reason in ('moved_to_special', 'moved_to_independent')
        ) as moved_to_specialist,
        avg(length_of_stay_days) as mean_days,
        sum(cost_in_year_gbp) as cost_gbp
    from stays
    group by provider_urn, academic_year
),

overall as (
    -- the proportion every provider's share is judged against: all AP providers in the year together
    select
        academic_year,
        sum(returned_to_mainstream) * 1.0 / nullif(sum(placements_ended), 0) as overall_returned
    from by_provider
    group by academic_year
),

standard_errors as (
    select
        by_provider.*,
        overall.overall_returned,
        -- NULL when no placement ended, and so are the limits
        case when by_provider.placements_ended > 0
            then sqrt(overall.overall_returned * (1 - overall.overall_returned) / by_provider.placements_ended)
        end as standard_error
    from by_provider
    inner join overall on by_provider.academic_year = overall.academic_year
),

with_limits as (
    -- funnel plot: binomial limits around the overall proportion p for a provider with n ended placements,
    -- p ± z × sqrt(p (1 − p) / n) (normal approximation), clipped to 0-1; z = 3.090232 for the 99.8 %
    -- control limits, 1.959964 for the 95 % warning limits
    select
        *,
        case when standard_error is not null
            then greatest(overall_returned - 3.090232 * standard_error, 0) end as control_low,
        case when standard_error is not null
            then least(overall_returned + 3.090232 * standard_error, 1) end as control_high,
        case when standard_error is not null
            then greatest(overall_returned - 1.959964 * standard_error, 0) end as warning_low,
        case when standard_error is not null
            then least(overall_returned + 1.959964 * standard_error, 1) end as warning_high
    from standard_errors
),

final as (
    select
        -- keys
        provider_urn,
        academic_year,
        provider_name,

        -- counts
        cast(children as integer) as children,
        cast(placements as integer) as placements,
        cast(placements_ended as integer) as placements_ended,
        cast(returned_to_mainstream as integer) as returned_to_mainstream,
        cast(moved_to_specialist as integer) as moved_to_specialist,

        -- stays and money
        round(mean_days, 1) as mean_days,
        cast(round(cost_gbp / nullif(placements, 0), 2) as decimal(18, 2)) as cost_per_placement_gbp,

        -- shares of the placements that ended in the year, %
        round(100.0 * returned_to_mainstream / nullif(placements_ended, 0), 2) as returned_to_mainstream_pct,
        round(100.0 * moved_to_specialist / nullif(placements_ended, 0), 2) as moved_to_specialist_pct,

        -- funnel plot limits for returned_to_mainstream_pct, %
        round(100.0 * overall_returned, 2) as overall_returned_to_mainstream_pct,
        round(100.0 * control_low, 2) as control_limit_low,
        round(100.0 * control_high, 2) as control_limit_high,
        round(100.0 * warning_low, 2) as warning_limit_low,
        round(100.0 * warning_high, 2) as warning_limit_high,
        case
            when placements_ended = 0 then 'no_placements_ended'
            when 1.0 * returned_to_mainstream / placements_ended > control_high then 'above'
            when 1.0 * returned_to_mainstream / placements_ended < control_low then 'below'
            else 'within'
        end as funnel_position

    from with_limits
)

select * from final
