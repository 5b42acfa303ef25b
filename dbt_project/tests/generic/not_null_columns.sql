{#-
    The columns of a model that must always have a value, tested in one query: one row per column that has
    NULLs, naming it, with how many rows. One test per model where dbt's `not_null` makes one per column:
    each dbt test costs a run about 35 ms of fixed work, and the project has over 400 such columns.
-#}
{% test not_null_columns(model, column_names) %}
with null_counts as (
    select
        {%- for column in column_names %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ model }}
),

by_column as (
    unpivot null_counts on columns(*) into name column_name value null_rows
)

select column_name, null_rows
from by_column
where null_rows > 0
{% endtest %}
