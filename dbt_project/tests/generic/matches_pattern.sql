{#- Text keys with a fixed shape: financial years `2025-26`, months `2025-10`, academic years `2025/26`. -#}
{% test matches_pattern(model, column_name, pattern) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
  and not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endtest %}
