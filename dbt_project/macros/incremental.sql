{#-
  Incremental models (events, sessions, spend: the tables that grow with history; and the
  people's touches, which int_people__touchpoints recomputes per person) rebuild a
  window on each run instead of the whole history: every row on or after the newest day the
  model already holds minus var('lookback_days'). The loader re-reads that many days before each
  run for restatements and late events (revwh.core.sources), and revwh.transform.dbt_runner passes the largest
  of those lookbacks as the var, so whatever a run reloaded is rebuilt. A change older than the
  window (a rerun of an old day, a changed model) needs `dbt build --full-refresh`.
-#}

{#- The first day an incremental run rebuilds (a SQL expression): lookback_days before the
    newest `day_column` in `relation` (of its rows that pass `where`, if given); -infinity for
    an empty table, and for one whose rows carry another `fingerprint` ([column, value]: see
    window_fingerprint below). -#}
{% macro incremental_window_start(relation, day_column, where=none, fingerprint=none) -%}
    {%- if fingerprint -%}
    (select case
        when (select {{ fingerprint[0] }} from {{ relation }} limit 1) = '{{ fingerprint[1] }}'
            then {{ incremental_window_start(relation, day_column, where) }}
        else '-infinity'::date
     end)
    {%- else -%}
    (select coalesce(max({{ day_column }}) - {{ var('lookback_days') | int }}, '-infinity'::date)
     from {{ relation }}{% if where %} where {{ where }}{% endif %})
    {%- endif -%}
{%- endmacro %}


{#- The same first day as a date literal (the SQL expression while dbt parses), so that the
    planner reads the window through the column's index: against a subquery it assumes a third
    of the table and reads all of it. -#}
{% macro incremental_window_first_day(relation, day_column, where=none, fingerprint=none) -%}
    {{- date_literal(incremental_window_start(relation, day_column, where, fingerprint)) -}}
{%- endmacro %}


{#- A date expression (SQL) evaluated now and inlined as a literal; the expression itself while
    dbt parses. -#}
{% macro date_literal(expression) -%}
    {%- if execute -%}
        {%- set day = run_query('select (' ~ expression ~ ')::text').columns[0].values()[0] -%}
        {{- "'" ~ day ~ "'::date" -}}
    {%- else -%}
        {{- expression -}}
    {%- endif -%}
{%- endmacro %}


{#- The `window` incremental strategy: delete the target's rows in the window (config
    window_day_column: the day the window is counted on; window_delete_column: the column, a day
    or timestamp, whose rows from the window's first day minus window_delete_margin_days on are
    deleted; rows whose unique_key the new rows carry go too), then insert the new rows. Unlike
    delete+insert by key, a row that a restatement dropped does not linger. Config
    window_fingerprint [column, value]: when the target's rows carry another value (what the
    table stores by a setting changed), every row goes (the model must then select every row:
    incremental_window_first_day with the same fingerprint gives -infinity). -#}
{% macro get_incremental_window_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set day_column = config.require('window_day_column') -%}
    {%- set delete_column = config.get('window_delete_column') or day_column -%}
    {%- set margin = config.get('window_delete_margin_days') or 0 -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set fingerprint = config.get('window_fingerprint') -%}
    {%- if fingerprint %}

    {#- all the rows carry one fingerprint: the first row's says (a one-time filter: when it
        is the current one, the table is not read) #}
    delete from {{ target }}
    where (select {{ fingerprint[0] }} from {{ target }} limit 1) is distinct from '{{ fingerprint[1] }}';
    {%- endif %}
    {#- the first day as a literal: against a subquery the planner read the whole table #}
    delete from {{ target }}
    where {{ delete_column }} >= {{ incremental_window_first_day(target, day_column) }} - {{ margin | int }};
    {%- if unique_key %}
        {%- set keys = [unique_key] if unique_key is string else unique_key %}

    {#- a statement of its own, not an `or` of the one above: each finds its rows by an index,
        where `a or b in (...)` read the whole table (its cost grew with the history) #}
    delete from {{ target }}
    where ({{ keys | join(', ') }}) in (select {{ keys | join(', ') }} from {{ source }});
    {%- endif %}

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{% endmacro %}


{#- Tests whose `where` config is
    `__in_lookback_window__:<day column>[:<schema.table.column>[:<margin days>]]` check, on an
    incremental run, only the rows from the window's first day (minus the margin) on (counted
    from the newest day of the tested relation, or of the indexed table column given: a view over
    a raw table finds its newest day fastest there); with --full-refresh, every row. For checks
    whose rows cannot change outside the window: the loader replaces whole day partitions, only
    the window's on a nightly run. -#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set marker = '__in_lookback_window__:' -%}
    {%- if where and where.startswith(marker) -%}
        {%- set parts = where[marker | length:].split(':') -%}
        {%- set column = parts[0] | trim -%}
        {%- if flags.FULL_REFRESH -%}
            {%- set where = 'true' -%}
        {%- else -%}
            {%- if parts | length > 1 -%}
                {%- set anchor_relation, anchor_column = (parts[1] | trim).rsplit('.', 1) -%}
            {%- else -%}
                {%- set anchor_relation, anchor_column = relation, column -%}
            {%- endif -%}
            {%- set margin = (parts[2] | trim | int) if parts | length > 2 else 0 -%}
            {%- set start = incremental_window_first_day(anchor_relation, anchor_column) -%}
            {%- set where = column ~ ' >= ' ~ start ~ ' - ' ~ margin -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}


{#- The `replace_keys` incremental strategy: delete every target row whose unique_key the new
    rows carry, then insert the new rows that pass config replace_keys_insert_where (default:
    all). A model recomputes whole keys (all the rows of a person), and gives an empty row for a
    key whose rows must all go: it deletes them and, failing the filter, is not inserted. -#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set unique_key = arg_dict['unique_key'] -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where ({{ keys | join(', ') }}) in (select {{ keys | join(', ') }} from {{ source }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
    where {{ config.get('replace_keys_insert_where') or 'true' }}
{% endmacro %}
