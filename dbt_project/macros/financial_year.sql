{#- Financial years run April–March and are written `2024-25`. -#}
{% macro financial_year_of_date(date_expr) -%}
    (case
        when month({{ date_expr }}) >= 4
            then cast(year({{ date_expr }}) as varchar) || '-' || right(cast(year({{ date_expr }}) + 1 as varchar), 2)
        else cast(year({{ date_expr }}) - 1 as varchar) || '-' || right(cast(year({{ date_expr }}) as varchar), 2)
    end)
{%- endmacro %}

{#- The financial year of a `YYYY-MM` month. -#}
{% macro financial_year_of_month(month_expr) -%}
    {{ financial_year_of_date("cast(" ~ month_expr ~ " || '-01' as date)") }}
{%- endmacro %}

{#- 1 April of a financial year written `2024-25`. -#}
{% macro financial_year_start(financial_year_expr) -%}
    make_date(cast(left({{ financial_year_expr }}, 4) as integer), 4, 1)
{%- endmacro %}

{#- 31 March that ends a financial year written `2024-25`. -#}
{% macro financial_year_end(financial_year_expr) -%}
    make_date(cast(left({{ financial_year_expr }}, 4) as integer) + 1, 3, 31)
{%- endmacro %}

{#- The last day of a `YYYY-MM` month. -#}
{% macro month_end(month_expr) -%}
    last_day(cast({{ month_expr }} || '-01' as date))
{%- endmacro %}

{#- Months of the financial year elapsed by a `YYYY-MM` month: April = 1 … March = 12. -#}
{% macro month_of_financial_year(month_expr) -%}
    ((cast(right({{ month_expr }}, 2) as integer) + 8) % 12 + 1)
{%- endmacro %}
