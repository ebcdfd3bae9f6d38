{#- Generic test: aggregates of the model equal aggregates of another model, e.g. a mart's stage
    counts summed over its rows against dim_people's counts. `aggregates` maps an expression
    over the model to an expression over compare_model; a null aggregate counts as 0. Fails with
    one row per pair that differs. -#}
{% test equal_aggregates(model, compare_model, aggregates) %}
with

compared as (
    {%- for expression, compare_expression in aggregates.items() %}
    select
        {{ sql_string(expression) }} as model_aggregate,
        coalesce((select {{ expression }} from {{ model }}), 0) as model_value,
        {{ sql_string(compare_expression) }} as compare_aggregate,
        coalesce((select {{ compare_expression }} from {{ compare_model }}), 0) as compare_value
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from compared
where model_value is distinct from compare_value
{% endtest %}
