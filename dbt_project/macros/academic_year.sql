{#- Academic years run September–August and are written `2024/25`. -#}
{% macro academic_year_of_date(date_expr) -%}
    (case
        when month({{ date_expr }}) >= 9
            then cast(year({{ date_expr }}) as varchar) || '/' || right(cast(year({{ date_expr }}) + 1 as varchar), 2)
        else cast(year({{ date_expr }}) - 1 as varchar) || '/' || right(cast(year({{ date_expr }}) as varchar), 2)
    end)
{%- endmacro %}
