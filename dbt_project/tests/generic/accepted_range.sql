{#- Fails on every row whose column lies outside [min_value, max_value] (nulls pass: pair it
    with not_null). -#}
{% test accepted_range(model, column_name, min_value, max_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }}
    or {{ column_name }} > {{ max_value }}
{% endtest %}
