{#- Money is pounds to at most 2 decimals: a third decimal means a unit or rounding slip upstream. -#}
{% test pounds_and_pence(model, column_name) %}
select {{ column_name }}
from {{ model }}
where round({{ column_name }}, 2) <> {{ column_name }}
{% endtest %}
