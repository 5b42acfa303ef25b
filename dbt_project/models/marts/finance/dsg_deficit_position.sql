with recursive

funding as (
    select * from {{ ref('stg_landing__dsg_funding') }}
),

balances as (
    select * from {{ ref('stg_landing__dsg_balance') }}
),

plan_versions as (
    select * from {{ ref('stg_landing__deficit_plan') }}
),

-- The plan in force is the newest delivery (earlier versions are kept for slippage).
deficit_plan as (
    select * from plan_versions
    qualify plan_loaded_at = max(plan_loaded_at) over ()
),

-- A year's first plan is the earliest delivery that planned that year: slippage is measured against it.
first_plan as (
    select * from plan_versions
    qualify plan_loaded_at = min(plan_loaded_at) over (partition by financial_year)
),

ledger_lines as (
    select * from {{ ref('int_ledger_lines__by_financial_year') }}
),

financial_years as (
    select * from {{ ref('int_financial_years__period_covered') }}
),

budget_vs_outturn as (
    select * from {{ ref('budget_vs_outturn') }}
),

income_by_year as (
    select
        financial_year,
        sum(allocation_gbp - deductions_gbp + transfer_in_gbp) as total_dsg_income_gbp,
        sum(allocation_gbp - deductions_gbp + transfer_in_gbp) filter (where dsg_block = 'high_needs')
            as hn_income_gbp
    from funding
    group by financial_year
),

outturn_by_year as (
    select
        financial_year,
        sum(amount_gbp) as outturn_gbp
    from ledger_lines
    group by financial_year
),

-- The year in progress is forecast as at the latest ledger month.
latest_forecast as (
    select
        financial_year,
        sum(forecast_with_growth_gbp) as forecast_with_growth_gbp,
        sum(forecast_expected_gbp) as forecast_expected_gbp
    from budget_vs_outturn
    where as_at_month = (select max(as_at_month) from budget_vs_outturn)
    group by financial_year
),

spend_by_year as (
    select
        financial_years.financial_year,
        not financial_years.is_closed as is_forecast,
        case
            when financial_years.is_closed then outturn_by_year.outturn_gbp
            else latest_forecast.forecast_with_growth_gbp
        end as hn_spend_gbp,
        case
            when financial_years.is_closed then outturn_by_year.outturn_gbp
            else latest_forecast.forecast_expected_gbp
        end as hn_spend_expected_gbp
    from financial_years
    left join outturn_by_year
        on financial_years.financial_year = outturn_by_year.financial_year
    left join latest_forecast
        on financial_years.financial_year = latest_forecast.financial_year
),

-- Years reported: those with funding and either spend or a plan.
years as (
    select
        income_by_year.financial_year,
        cast(left(income_by_year.financial_year, 4) as integer) as start_year,
        income_by_year.total_dsg_income_gbp,
        income_by_year.hn_income_gbp,
        spend_by_year.hn_spend_gbp,
        -- years after the ledger's last year have no spend yet, so they are forecasts too
        coalesce(
            spend_by_year.is_forecast,
            income_by_year.financial_year > coalesce((select max(financial_year) from financial_years), '')
        ) as is_forecast,
        cast(income_by_year.hn_income_gbp - spend_by_year.hn_spend_gbp as decimal(18, 2)) as hn_in_year_gbp,
        spend_by_year.hn_spend_expected_gbp,
        cast(income_by_year.hn_income_gbp - spend_by_year.hn_spend_expected_gbp as decimal(18, 2))
            as hn_in_year_expected_gbp,
        balances.supplied_opening_balance_gbp
    from income_by_year
    left join spend_by_year
        on income_by_year.financial_year = spend_by_year.financial_year
    left join balances
        on income_by_year.financial_year = balances.financial_year
    where spend_by_year.hn_spend_gbp is not null
        or income_by_year.financial_year in (select financial_year from deficit_plan)
),

-- Opening = the previous year's closing; the first year (or one after a gap) opens with the supplied balance.
balance_chain as (
    select
        financial_year,
        start_year,
        'supplied' as opening_balance_source,
        cast(supplied_opening_balance_gbp as decimal(18, 2)) as opening_balance_gbp,
        cast(supplied_opening_balance_gbp + hn_in_year_gbp as decimal(18, 2)) as closing_balance_gbp
    from years
    where start_year - 1 not in (select start_year from years)

    union all

    select
        next_year.financial_year,
        next_year.start_year,
        case when balance_chain.closing_balance_gbp is null then 'supplied' else 'previous_closing' end,
        cast(coalesce(balance_chain.closing_balance_gbp, next_year.supplied_opening_balance_gbp) as decimal(18, 2)),
        cast(
            coalesce(balance_chain.closing_balance_gbp, next_year.supplied_opening_balance_gbp)
            + next_year.hn_in_year_gbp
            as decimal(18, 2)
        )
    from balance_chain
    inner join years as next_year
        on next_year.start_year = balance_chain.start_year + 1
),

joined as (
    select
        years.*,
        balance_chain.opening_balance_source,
        balance_chain.opening_balance_gbp,
        balance_chain.closing_balance_gbp,
        deficit_plan.planned_hn_in_year_gbp,
        deficit_plan.planned_closing_balance_gbp,
        deficit_plan.plan_version,
        first_plan.planned_closing_balance_gbp as planned_closing_balance_first_gbp,
        first_plan.plan_version as plan_version_first,
        first_plan.plan_loaded_at as plan_first_loaded_at
    from years
    inner join balance_chain
        on years.financial_year = balance_chain.financial_year
    left join deficit_plan
        on years.financial_year = deficit_plan.financial_year
    left join first_plan
        on years.financial_year = first_plan.financial_year
),

final as (
    select
        -- keys
        financial_year,
        is_forecast,

        -- balances (negative = deficit)
        opening_balance_gbp,
        opening_balance_source,
        supplied_opening_balance_gbp,
        cast(supplied_opening_balance_gbp - opening_balance_gbp as decimal(18, 2)) as opening_balance_mismatch_gbp,
        hn_in_year_gbp,
        closing_balance_gbp,

        -- income and spend
        cast(total_dsg_income_gbp as decimal(18, 2)) as total_dsg_income_gbp,
        cast(hn_income_gbp as decimal(18, 2)) as hn_income_gbp,
        cast(hn_spend_gbp as decimal(18, 2)) as hn_spend_gbp,

        -- plan (+ gap = better than plan)
        planned_hn_in_year_gbp,
        planned_closing_balance_gbp,
        plan_version,
        cast(closing_balance_gbp - planned_closing_balance_gbp as decimal(18, 2)) as gap_to_plan_gbp,

        cast(closing_balance_gbp as double) / cast(total_dsg_income_gbp as double) * 100 as closing_balance_pct_of_dsg,

        -- expected view (v2): the year in progress at its expected forecast; a closed year as above
        cast(hn_spend_expected_gbp as decimal(18, 2)) as hn_spend_expected_gbp,
        hn_in_year_expected_gbp,
        cast(opening_balance_gbp + hn_in_year_expected_gbp as decimal(18, 2)) as closing_balance_expected_gbp,

        -- the year's first plan (+ slippage = better than the first plan)
        planned_closing_balance_first_gbp,
        plan_version_first,
        plan_first_loaded_at,
        cast(closing_balance_gbp - planned_closing_balance_first_gbp as decimal(18, 2)) as slippage_gbp

    from joined
)

select * from final
order by financial_year
