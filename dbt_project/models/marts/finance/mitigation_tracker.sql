with

mitigations as (
    select * from {{ ref('stg_landing__mitigations') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

as_at as (
    select max(latest_ledger_month) as as_at_month from financial_years
),

-- A year's saving is due once the year has ended by the latest ledger month: savings land unevenly
-- through a year, so a year in progress is shown but not rated.
with_due as (
    select
        mitigations.*,
        as_at.as_at_month,
        coalesce(
            {{ financial_year_end('mitigations.financial_year') }} <= {{ month_end('as_at.as_at_month') }},
            false
        ) as year_ended
    from mitigations
    cross join as_at
),

rated as (
    select
        *,
        case when target_saving_gbp > 0 then delivered_saving_gbp / target_saving_gbp * 100 end as delivered_pct,
        case
            when not year_ended then 'year_not_ended'
            when target_saving_gbp = 0 then 'no_target'
            when delivered_saving_gbp is null then 'not_reported'
            else 'delivered_share'
        end as rag_basis
    from with_due
),

final as (
    select
        -- keys
        workstream,
        financial_year,

        -- who and what
        owner,
        status_note,
        cast(target_saving_gbp as decimal(18, 2)) as target_saving_gbp,
        cast(delivered_saving_gbp as decimal(18, 2)) as delivered_saving_gbp,
        cast(delivered_pct as double) as delivered_pct,

        -- rating
        year_ended as is_due,
        case
            when rag_basis in ('year_not_ended', 'no_target') then 'grey'
            when rag_basis = 'not_reported' then 'red'
            when delivered_pct >= 90 then 'green'
            when delivered_pct >= 50 then 'amber'
            else 'red'
        end as rag,
        rag_basis,
        as_at_month,

        -- what the projection still counts on: the undelivered part of a year not yet ended
        cast(
            case
                when year_ended then 0
                else greatest(target_saving_gbp - coalesce(delivered_saving_gbp, 0), 0)
            end
            as decimal(18, 2)
        ) as saving_still_to_come_gbp

    from rated
)

select * from final
order by financial_year, workstream
