{#- The ECB file is one wide row per day (Date, USD, JPY, ...): unpivoted here to one row per
    currency, the only reshaping in staging, because no later model can use the wide form. -#}
with

source as (

    select * from {{ source('ecb', 'fx_rates') }}

),

unpivoted as (

    select
        source.record ->> 'Date' as rate_date_text,
        trim(rate.key) as currency_code,
        nullif(nullif(trim(rate.value), ''), 'N/A') as rate_per_eur_text,
        source._partition_date,
        source._line,
        source._batch_id

    from source
    cross join lateral jsonb_each_text(source.record) as rate
    where rate.key <> 'Date' and trim(rate.key) <> ''

),

renamed as (

    select
        to_date(rate_date_text, 'DD FMMonth YYYY') as rate_date,
        currency_code,
        rate_per_eur_text::numeric as rate_per_eur,
        {{ lineage_columns() }}

    from unpivoted
    where rate_per_eur_text is not null

)

select * from renamed
