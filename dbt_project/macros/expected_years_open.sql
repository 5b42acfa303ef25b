{#- Expected years a placement stays open over the next `years` years when it leaves at a constant
    `hazard` a year: ∫₀ᵗ e^(−h·s) ds = (1 − e^(−h·t)) ÷ h, and t itself when the hazard is 0 (nobody leaves). -#}
{% macro expected_years_open(hazard, years) -%}
    (case
        when {{ hazard }} > 0 then (1 - exp(-({{ hazard }}) * ({{ years }}))) / ({{ hazard }})
        else {{ years }}
    end)
{%- endmacro %}
