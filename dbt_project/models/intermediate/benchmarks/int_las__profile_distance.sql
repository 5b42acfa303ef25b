with

indicators as (
    select * from {{ ref('int_las__profile_indicators') }}
    where z_score is not null
),

configured as (
    select * from {{ ref('stg_installation__benchmark_areas') }}
),

the_la as (
    select old_la_code from configured where neighbour_role = 'la'
),

la_indicators as (
    select
        indicators.indicator,
        indicators.z_score
    from indicators
    inner join the_la on indicators.old_la_code = the_la.old_la_code
),

differences as (
    select
        indicators.old_la_code,
        indicators.z_score - la_indicators.z_score as z_difference
    from indicators
    inner join la_indicators on indicators.indicator = la_indicators.indicator
    where indicators.old_la_code not in (select old_la_code from the_la)
),

-- Root mean square over the indicators the LA has; an LA missing any of them is not measured on the
-- same footing and is left out.
distances as (
    select
        old_la_code,
        -- rounded for the same reason as the z-scores: the same figure on every run and rebuild
        round(sqrt(avg(z_difference * z_difference)), 9) as profile_distance,
        count(*) as n_indicators
    from differences
    group by old_la_code
    having count(*) = (select count(*) from la_indicators)
),

final as (
    select
        *,
        row_number() over (order by profile_distance, old_la_code) as distance_rank
    from distances
)

select * from final
