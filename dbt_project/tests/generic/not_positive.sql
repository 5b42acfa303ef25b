{#- Money that can only lower a figure (expected leavers take cost off the forecast). -#}
{% test not_positive(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} > 0
{% endtest %}
