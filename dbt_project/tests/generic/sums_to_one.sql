{#- Fails on every group (e.g. opportunity x attribution model) whose values of the column do
    not add up to 1 within the tolerance (a null sum fails too). -#}
{% test sums_to_one(model, column_name, group_by, tolerance=1e-9) %}
select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as total
from {{ model }}
group by {{ group_by | join(', ') }}
having sum({{ column_name }}) is null
    or abs(sum({{ column_name }}) - 1) >= {{ tolerance }}
{% endtest %}
