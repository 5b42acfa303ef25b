{#- One CTE per family of derived indicators, each giving indicator_id, period, value, numerator and
    denominator; a share is 100 × numerator ÷ denominator. A derived indicator of the catalogue with no
    rows here has no values in the tracker. -#}
with

school_outcomes as (
    select * from {{ ref('int_school_outcomes__latest') }}
),

exclusion_rates as (
    select * from {{ ref('exclusion_rates') }}
),

ehcp_population as (
    select * from {{ ref('ehcp_population') }}
),

ap_outcomes as (
    select * from {{ ref('ap_outcomes') }}
),

spend as (
    select * from {{ ref('spend_by_provision_type') }}
),

cost_per_placement as (
    select * from {{ ref('cost_per_placement') }}
),

sen_status_years as (
    -- summed over schools and terms: the impact evaluation's units (events per 100 pupils per term)
    select
        academic_year as period,
        characteristic,
        cast(sum(suspensions) as double) as suspensions,
        cast(sum(permanent_exclusions) as double) as permanent_exclusions,
        cast(sum(sessions_missed) as double) as sessions_missed,
        cast(sum(sessions_possible) as double) as sessions_possible,
        cast(sum(persistent_absentees) as double) as persistent_absentees,
        cast(sum(headcount) as double) as pupil_terms
    from school_outcomes
    where characteristic_group = 'sen_status'
    group by academic_year, characteristic
),

school_outcome_shares as (
    select 'ehcp_suspension_rate' as indicator_id, period, suspensions as numerator, pupil_terms as denominator
    from sen_status_years where characteristic = 'ehcp'
    union all
    select 'ehcp_permanent_exclusion_rate', period, permanent_exclusions, pupil_terms
    from sen_status_years where characteristic = 'ehcp'
    union all
    select 'ehcp_absence_rate', period, sessions_missed, sessions_possible
    from sen_status_years where characteristic = 'ehcp'
    union all
    select 'ehcp_persistent_absence_rate', period, persistent_absentees, pupil_terms
    from sen_status_years where characteristic = 'ehcp'
    union all
    select 'sen_support_suspension_rate', period, suspensions, pupil_terms
    from sen_status_years where characteristic = 'sen_support'
),

january_censuses as (
    -- each January's census, counted in the academic year it falls in (January 2023 → 2022/23)
    select
        (cast(left(snapshot_month, 4) as integer) - 1) || '/' || right(left(snapshot_month, 4), 2) as period,
        cast(sum(ehcps) as double) as ehcps,
        cast(coalesce(sum(ehcps) filter (where provision_type = 'alternative_provision'), 0) as double) as in_ap,
        cast(coalesce(sum(ehcps) filter (where provision_group in ('mainstream', 'resourced')), 0) as double)
            as in_mainstream,
        cast(coalesce(sum(ehcps) filter (where provision_group = 'independent_non_maintained'), 0) as double)
            as in_independent_special
    from ehcp_population
    where is_january
    group by snapshot_month
),

census_shares as (
    select 'ehcp_in_mainstream_pct' as indicator_id, period, in_mainstream as numerator, ehcps as denominator
    from january_censuses
    union all
    select 'ehcp_in_independent_special_pct', period, in_independent_special, ehcps from january_censuses
),

ap_shares as (
    select
        'ap_returned_to_mainstream_pct' as indicator_id,
        academic_year as period,
        cast(sum(returned_to_mainstream) as double) as numerator,
        cast(sum(placements_ended) as double) as denominator
    from ap_outcomes
    group by academic_year
),

spend_shares as (
    select
        'independent_special_spend_share_pct' as indicator_id,
        financial_year as period,
        cast(coalesce(sum(actual_gbp) filter (where s251_line = '1.2.3'), 0) as double) as numerator,
        cast(sum(actual_gbp) as double) as denominator
    from spend
    group by financial_year
),

shares as (
    select * from school_outcome_shares
    union all
    select * from census_shares
    union all
    select * from ap_shares
    union all
    select * from spend_shares
),

share_values as (
    select indicator_id, period, 100.0 * numerator / nullif(denominator, 0) as value, numerator, denominator
    from shares
),

children_in_ap as (
    select 'children_in_ap' as indicator_id, period, in_ap as value, in_ap as numerator, null::double as denominator
    from january_censuses
),

risk_ratios as (
    select
        case
            when characteristic_group = 'sen_status' then 'ehcp_suspension_risk_ratio'
            when characteristic = 'black' then 'black_pupils_suspension_risk_ratio'
            else 'mixed_pupils_suspension_risk_ratio'
        end as indicator_id,
        academic_year as period,
        suspension_risk_ratio as value,
        cast(suspensions as double) as numerator,
        headcount as denominator
    from exclusion_rates
    where (characteristic_group = 'sen_status' and characteristic = 'ehcp')
        or (characteristic_group = 'ethnicity_major' and characteristic in ('black', 'mixed'))
),

cost_per_fte as (
    select
        'cost_per_placement_gbp' as indicator_id,
        financial_year as period,
        round(sum(spend_gbp) / nullif(sum(placements_fte), 0), 2) as value,
        sum(spend_gbp) as numerator,
        sum(placements_fte) as denominator
    from cost_per_placement
    group by financial_year
),

final as (
    select * from share_values
    union all
    select * from children_in_ap
    union all
    select * from risk_ratios
    union all
    select indicator_id, period, cast(value as double), cast(numerator as double), cast(denominator as double)
    from cost_per_fte
)

select * from final
