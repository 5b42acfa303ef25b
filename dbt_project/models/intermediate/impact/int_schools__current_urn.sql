with recursive

schools as (
    select * from {{ ref('stg_landing__schools') }}
),

all_urns as (
    -- a predecessor may be missing from the schools file (closed long ago): it still maps to its successor
    select school_urn from schools
    union
    select predecessor_urn as school_urn from schools where predecessor_urn is not null
),

replaced_by as (
    select
        predecessor_urn as school_urn,
        -- if a predecessor is named by two schools (a data error the staging test warns of), the smaller URN
        min(school_urn) as successor_urn

    from schools
    where predecessor_urn is not null
        and predecessor_urn <> school_urn
    group by predecessor_urn
),

chain (school_urn, current_urn, conversions) as (
    select school_urn, school_urn, 0 from all_urns
    union all
    select chain.school_urn, replaced_by.successor_urn, chain.conversions + 1
    from chain
    inner join replaced_by on chain.current_urn = replaced_by.school_urn
    -- a cycle in the file (A replaced B replaced A) must not loop forever
    where chain.conversions < 20
),

final as (
    select
        school_urn,
        arg_max(current_urn, conversions) as current_urn,
        max(conversions) as conversions

    from chain
    group by school_urn
)

select * from final
