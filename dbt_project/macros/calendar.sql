{#- The days of the week starting on `week_start` (a Monday) that lie inside the data window
    (`window`: a relation with data_start and data_end, i.e. intermediate.int_data_window): 7
    for a complete week, fewer for the week containing the data end (the current, partial
    week) or the data start. -#}
{% macro days_in_week(week_start, window) -%}
    greatest(0, least({{ week_start }} + 6, {{ window }}.data_end)
        - greatest({{ week_start }}, {{ window }}.data_start) + 1)::integer
{%- endmacro %}
