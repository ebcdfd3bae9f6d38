{#- Generic test, one measure one number: aggregates of the model equal aggregates of another
    model, over the whole tables or per group of a grain both share, e.g. a mart's stage counts
    summed over its rows against dim_people's counts, or a mart's spend per day and channel
    against ad_performance_daily's.

    - aggregates: maps an expression over the model to an expression over compare_model; a
      null aggregate, and a group one side does not have, count as 0.
    - group_by: expressions over the model naming the grain (none: the whole tables);
      compare_group_by: the same grain over compare_model (default: group_by).
    - precision: round both aggregates to this many decimals before comparing (2: to the cent);
      tolerance: the largest difference allowed (default 0: equal).

    Fails with one row per group and pair of aggregates that differ: the group's values
    (group_1, ...), both expressions and both values. -#}
{% test equal_aggregates(model, compare_model, aggregates, group_by=[], compare_group_by=none,
                         precision=none, tolerance=0) %}
{%- set compare_group_by = group_by if compare_group_by is none else compare_group_by %}
{%- if compare_group_by | length != group_by | length %}
    {{ exceptions.raise_compiler_error(
        "equal_aggregates: group_by and compare_group_by must name the same grain") }}
{%- endif %}
{%- set sides = [(model, group_by, aggregates.keys() | list),
                 (compare_model, compare_group_by, aggregates.values() | list)] %}
with
{% for relation, groups, expressions in sides %}
{{ "model_side" if loop.first else "compare_side" }} as (

    select
        {%- for group in groups %}
        {{ group }} as group_{{ loop.index }},
        {%- endfor %}
        {%- for expression in expressions %}
        {{ expression }} as aggregate_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if groups %}
    group by {% for group in groups %}{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    {%- endif %}

),
{% endfor %}
grain as (

    {%- if group_by %}
    select {% for group in group_by %}group_{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from model_side
    union
    select {% for group in group_by %}group_{{ loop.index }}{{ ", " if not loop.last }}{% endfor %}
    from compare_side
    {%- else %}
    select 1 as whole_table
    {%- endif %}

),

compared as (
    {%- for expression, compare_expression in aggregates.items() %}
    {%- set index = loop.index %}

    select
        {%- for group in group_by %}
        grain.group_{{ loop.index }},
        {%- endfor %}
        {{ sql_string(expression) }} as model_aggregate,
        coalesce(model_side.aggregate_{{ index }}, 0) as model_value,
        {{ sql_string(compare_expression) }} as compare_aggregate,
        coalesce(compare_side.aggregate_{{ index }}, 0) as compare_value
    from grain
    {%- for side in ["model_side", "compare_side"] %}
    left join {{ side }}
        on {% for group in group_by -%}
        grain.group_{{ loop.index }} is not distinct from {{ side }}.group_{{ loop.index }}
        {{- "\n        and " if not loop.last }}
        {%- else %}true{% endfor %}
    {%- endfor %}
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from compared
where
{%- if precision is none %}
    abs(model_value - compare_value) > {{ tolerance }}
{%- else %}
    abs(round(model_value::numeric, {{ precision }}) - round(compare_value::numeric, {{ precision }}))
        > {{ tolerance }}
{%- endif %}
{% endtest %}
