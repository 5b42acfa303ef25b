with

published as (
    select * from {{ ref('stg_dfe__benchmarks') }}
),

areas as (
    select * from {{ ref('int_benchmark_areas__chosen') }}
),

the_la as (
    select * from areas where neighbour_role = 'la'
),

la_and_neighbour_figures as (
    select
        published.*,
        areas.neighbour_role
    from published
    inner join areas
        on published.old_la_code = areas.old_la_code
    where published.geography_level = 'la'
),

-- Rank among the LA and its neighbours that have a figure; 1 = the highest value.
ranked as (
    select
        *,
        rank() over (partition by measure, period, s251_line order by value desc) as rank_among_neighbours
    from la_and_neighbour_figures
    where value is not null
),

la_rows as (
    select
        figures.measure,
        figures.period,
        figures.s251_line,
        'la' as comparator,
        figures.area_name,
        figures.old_la_code,
        figures.area_code,
        figures.value,
        figures.value_note,
        1 as n_areas,
        ranked.rank_among_neighbours as la_rank_among_neighbours
    from la_and_neighbour_figures as figures
    left join ranked
        on figures.measure = ranked.measure
        and figures.period = ranked.period
        and figures.s251_line is not distinct from ranked.s251_line
        and figures.old_la_code = ranked.old_la_code
    where figures.neighbour_role = 'la'
),

each_neighbour_rows as (
    select
        measure,
        period,
        s251_line,
        'neighbour' as comparator,
        area_name,
        old_la_code,
        area_code,
        value,
        value_note,
        1 as n_areas,
        null::bigint as la_rank_among_neighbours
    from la_and_neighbour_figures
    where neighbour_role = 'neighbour'
),

region_rows as (
    select
        published.measure,
        published.period,
        published.s251_line,
        'region' as comparator,
        published.area_name,
        null::integer as old_la_code,
        published.area_code,
        published.value,
        published.value_note,
        1 as n_areas,
        null::bigint as la_rank_among_neighbours
    from published
    inner join the_la on published.area_name = the_la.region_name
    where published.geography_level = 'region'
),

england_rows as (
    select
        measure,
        period,
        s251_line,
        'england' as comparator,
        area_name,
        null::integer as old_la_code,
        area_code,
        value,
        value_note,
        1 as n_areas,
        null::bigint as la_rank_among_neighbours
    from published
    where geography_level = 'england'
),

-- Suppressed or missing neighbour figures are left out of the mean, never counted as zero.
neighbour_mean_rows as (
    select
        measure,
        period,
        s251_line,
        'statistical_neighbours' as comparator,
        'Statistical neighbours (mean)' as area_name,
        null::integer as old_la_code,
        null as area_code,
        -- 9 places: a mean of doubles is then the same figure on every run and rebuild
        round(avg(value), 9) as value,
        null as value_note,
        count(value) as n_areas,
        null::bigint as la_rank_among_neighbours
    from la_and_neighbour_figures
    where neighbour_role = 'neighbour'
    group by measure, period, s251_line
),

final as (
    select * from la_rows
    union all by name
    select * from each_neighbour_rows
    union all by name
    select * from region_rows
    union all by name
    select * from england_rows
    union all by name
    select * from neighbour_mean_rows
)

select * from final
order by measure, period, s251_line, comparator, area_name
