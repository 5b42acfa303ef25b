with

catalogue as (
    select * from {{ ref('stg_config__outcomes_framework') }}
),

derived as (
    select * from {{ ref('int_outcome_indicators__derived') }}
),

supplied as (
    select * from {{ ref('int_outcome_indicators__supplied_latest') }}
),

comparators as (
    select * from {{ ref('int_outcome_indicators__comparators') }}
),

observed as (
    -- a derived indicator takes only the platform's values, a supplied one only the file's
    select derived.indicator_id, derived.period, derived.value, derived.numerator, derived.denominator
    from derived
    inner join catalogue on derived.indicator_id = catalogue.indicator_id and catalogue.source = 'derived'
    union all
    select supplied.indicator_id, supplied.period, supplied.value, supplied.numerator, supplied.denominator
    from supplied
    inner join catalogue on supplied.indicator_id = catalogue.indicator_id and catalogue.source = 'supplied'
),

located as (
    select
        observed.*,
        catalogue.unit,
        catalogue.pool_below_count,
        case catalogue.period_type
            when 'month' then cast(left(observed.period, 4) as integer) + (cast(right(observed.period, 2) as integer) - 1) / 12.0
            else cast(left(observed.period, 4) as double)
        end as period_start
    from observed
    inner join catalogue on observed.indicator_id = catalogue.indicator_id
),

pooled_sums as (
    -- a share whose count is below min_count is pooled with the two years before it: 100 × Σ numerator
    -- ÷ Σ denominator over the periods that start less than three years before and not after it
    select
        this.indicator_id,
        this.period,
        sum(earlier.numerator) as pooled_numerator,
        sum(earlier.denominator) as pooled_denominator,
        min(earlier.period) as pooled_from_period,
        count(*) as pooled_periods
    from located as this
    inner join located as earlier
        on this.indicator_id = earlier.indicator_id
        and earlier.period_start > this.period_start - 3
        and earlier.period_start <= this.period_start
    where this.unit in ('percent', 'rate_per_100')
        and this.numerator < this.pool_below_count
        and this.denominator is not null
    group by this.indicator_id, this.period
),

values_used as (
    select
        located.indicator_id,
        located.period,
        located.period_start,
        pooled_sums.pooled_periods > 1 as is_pooled,
        case when pooled_sums.pooled_periods > 1 then pooled_sums.pooled_from_period end as pooled_from_period,
        case when pooled_sums.pooled_periods > 1
            then 100.0 * pooled_sums.pooled_numerator / nullif(pooled_sums.pooled_denominator, 0)
            else located.value
        end as value,
        coalesce(pooled_sums.pooled_numerator, located.numerator) as numerator,
        coalesce(pooled_sums.pooled_denominator, located.denominator) as denominator
    from located
    left join pooled_sums
        on located.indicator_id = pooled_sums.indicator_id and located.period = pooled_sums.period
),

with_plan as (
    select
        values_used.*,
        catalogue.priority,
        catalogue.priority_name,
        catalogue.indicator_name,
        catalogue.source,
        catalogue.unit,
        catalogue.period_type,
        catalogue.direction,
        catalogue.target,
        catalogue.target_start,
        catalogue.baseline_start,
        catalogue.behind_within,
        catalogue.min_denominator,
        catalogue.comparator as comparator_kind,
        coalesce(
            max(values_used.value) filter (where values_used.period = catalogue.baseline_year)
                over (partition by values_used.indicator_id),
            catalogue.baseline_value
        ) as baseline
    from values_used
    inner join catalogue on values_used.indicator_id = catalogue.indicator_id
),

with_trajectory as (
    -- the straight line from the baseline to the target; the target itself from the target year on
    select
        *,
        case
            when period_start < baseline_start or baseline is null then null
            when period_start >= target_start then target
            else baseline + (target - baseline) * (period_start - baseline_start) / (target_start - baseline_start)
        end as trajectory
    from with_plan
),

rated as (
    select
        *,
        -- how much worse than the trajectory (negative = better), in the unit
        round(
            case when direction = 'lower_is_better' then value - trajectory else trajectory - value end, 9
        ) as shortfall,
        case
            when value is null or trajectory is null then 'insufficient_data'
            when denominator is not null and denominator < min_denominator then 'insufficient_data'
            when round(case when direction = 'lower_is_better' then value - trajectory else trajectory - value end, 9) <= 0
                then 'on_track'
            when round(case when direction = 'lower_is_better' then value - trajectory else trajectory - value end, 9)
                <= behind_within
                then 'behind'
            else 'off_track'
        end as rag
    from with_trajectory
),

final as (
    select
        -- keys
        rated.indicator_id,
        rated.period,

        -- the framework
        cast(rated.priority as integer) as priority,
        rated.priority_name,
        rated.indicator_name,
        rated.source,
        rated.unit,
        rated.period_type,
        rated.direction,

        -- the figure
        cast(rated.value as double) as value,
        cast(rated.numerator as double) as numerator,
        cast(rated.denominator as double) as denominator,
        coalesce(rated.is_pooled, false) as is_pooled,
        rated.pooled_from_period,

        -- progress
        cast(rated.baseline as double) as baseline,
        cast(rated.target as double) as target,
        cast(rated.trajectory as double) as trajectory,
        cast(rated.shortfall as double) as shortfall,
        rated.rag,

        -- the public figure beside it
        cast(comparators.comparator_value as double) as comparator_value,
        comparators.comparator_name as comparator

    from rated
    left join comparators
        on rated.indicator_id = comparators.indicator_id
        and rated.comparator_kind = comparators.comparator
        and rated.period = comparators.period
)

select * from final
