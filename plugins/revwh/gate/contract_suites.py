"""Expectation suites generated from the lead definition contract (contracts/lead_definition.yml).

The contract is the one place the rules are written; this module turns it into Great
Expectations suites at every run, so a changed threshold or a new channel is checked the same
night it is applied. Every suite here validates a whole mart (scope ``table``): the marts are
rebuilt whole and published whole, so every row must keep the rules, and one row per person
means one in the whole mart, not one per day.

- ``contract__<mart>`` for every mart (found in the marts' dbt yml): channel columns
  (``channel``, ``*_channel``) within the taxonomy, currency columns (``currency``,
  ``reporting_currency``) equal to the reporting currency, money columns non-negative, the
  contract version the mart was built with, the follow-up SLA it applied;
- ``contract__dim_people`` also: one row per person, required identifiers, known stages;
- ``contract__dim_people__rules``: SQL rules over the people mart (stages in waterfall order, a
  later stage implies the earlier ones, the MQL and SQL rules, excluded records absent, an
  owner once accepted by sales), recomputed from the CRM's lead records
  (intermediate.int_crm__lead_records) with the contract's values;
- ``contract__funnel_stage_history``: only the contract's stages.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from revwh.core import contract
from revwh.core.config import DBT_PROJECT_DIR
from revwh.gate.spec import SuiteSpec, batch_query, ident, literal, literal_list

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"
PEOPLE_MART = "dim_people"
STAGE_HISTORY_MART = "funnel_stage_history"
# The CRM's lead records before the contract is applied (one row per CRM record): what the
# people mart's rules are recomputed from.
CRM_RECORDS = ident("intermediate", "int_crm__lead_records")
NOT_A_STAGE = "disqualified"

CHANNEL_COLUMN = re.compile(r"^(.+_)?channel$")
CURRENCY_COLUMNS = {"currency", "reporting_currency"}
# Amounts of money: spend, pipeline, revenue and what is paid per result. Week-over-week
# changes may be negative and are not amounts.
MONEY_COLUMN = re.compile(
    r"^(spend|spend_original|pipeline|cac|cost_per_.+|.+_pipeline|.+_revenue)$")


def mart_columns(folder: Path = MARTS_DIR) -> dict[str, list[str]]:
    """Each mart's columns, as its dbt yml declares them (every column is documented)."""
    marts: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("_*__models.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            marts[model["name"]] = [column["name"] for column in model.get("columns", [])]
    return marts


def _expect(kind: str, description: str, rule: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "description": description,
            "meta": {"contract": rule}}


def _rule(name: str, description: str, rule: str, query: str) -> dict[str, Any]:
    expectation = _expect("unexpected_rows_expectation", description, rule,
                          unexpected_rows_query=batch_query(query))
    expectation["meta"]["check"] = name
    return expectation


def stage_keys() -> list[str]:
    return [stage["key"] for stage in contract.load()["stages"]]


def stage_column(key: str) -> str:
    """The people mart's column for entering a stage: <stage>_at."""
    return f"{key}_at"


def exclusion_reason_sql(email_key: str, email_domain: str, first_name_word: str) -> str:
    """The contract's exclusions as a SQL expression: the reason, or null when the record
    counts (the same order as the contract lists them; a record without an email is no
    person unless the contract names an identity fallback)."""
    doc = contract.load()
    exclusions = doc["exclusions"]
    whens = ([] if doc["identity"].get("fallback")
             else [f"when {email_key} is null then 'no email'"])
    whens += [f"when {email_key} ~ {literal(pattern)} then 'test'"
              for pattern in exclusions.get("test_email_patterns", [])]
    whens.append(f"when {email_domain} in {literal_list(exclusions.get('internal_domains', []))}"
                 " then 'internal'")
    whens.append(f"when {email_domain} in {literal_list(exclusions.get('spam_domains', []))}"
                 f" or {first_name_word} in {literal_list(exclusions.get('spam_names', []))}"
                 " then 'spam'")
    whens.append(f"when {email_domain} in {literal_list(exclusions.get('competitor_domains', []))}"
                 " then 'competitor'")
    return "case " + " ".join(whens) + " end"


def _identity(alias: str) -> str:
    """The record's identity key: the normalized email, else the contract's fallback (the CRM
    record id, as '<crm>:<record id>'), as int_people__records keys people."""
    if contract.load()["identity"].get("fallback") == "crm_record_id":
        return f"coalesce({alias}.email_key, {alias}.crm || ':' || {alias}.record_id)"
    return f"{alias}.email_key"


def _record_exclusion(alias: str) -> str:
    return exclusion_reason_sql(f"{alias}.email_key", f"{alias}.email_domain",
                                f"split_part({alias}.full_name_lower, ' ', 1)")


def _column_rules(mart: str, columns: list[str]) -> list[dict[str, Any]]:
    doc = contract.load()
    currency = contract.reporting_currency()
    expectations = []
    for column in columns:
        if CHANNEL_COLUMN.match(column):
            expectations.append(_expect(
                "expect_column_values_to_be_in_set", f"{column} is a channel of the taxonomy",
                "channels", column=column, value_set=sorted(contract.channels())))
        elif column in CURRENCY_COLUMNS:
            expectations.append(_expect(
                "expect_column_values_to_be_in_set",
                f"{column} is the reporting currency {currency}", "reporting.currency",
                column=column, value_set=[currency]))
        elif MONEY_COLUMN.match(column):
            expectations.append(_expect(
                "expect_column_values_to_be_between", f"{column} is not negative",
                "amounts are not negative", column=column, min_value=0))
        elif column == "lead_definition_version":
            expectations.append(_expect(
                "expect_column_values_to_be_in_set",
                f"built under lead definition {doc['version']}", "version",
                column=column, value_set=[str(doc["version"])]))
        elif column == "follow_up_sla_hours":
            expectations.append(_expect(
                "expect_column_values_to_be_in_set",
                f"the follow-up SLA is {doc['follow_up_sla_hours']} hours", "follow_up_sla_hours",
                column=column, value_set=[doc["follow_up_sla_hours"]]))
    return expectations


def _people_columns() -> list[dict[str, Any]]:
    keys = stage_keys()
    identity = contract.load()["identity"]["key"]
    required = ["person_id", "crm", "crm_record_id", stage_column(keys[0])]
    return [
        _expect("expect_column_values_to_be_unique",
                f"one row per person (identity key: normalized {identity})", "identity",
                column="person_id"),
        *[_expect("expect_column_values_to_not_be_null", f"{column} is always known",
                  "identity" if column != stage_column(keys[0]) else "stages", column=column)
          for column in required],
        _expect("expect_column_values_to_be_in_set",
                "current_stage is a stage of the waterfall, or disqualified", "stages",
                column="current_stage", value_set=[*keys, NOT_A_STAGE]),
    ]


def _people_rules() -> list[dict[str, Any]]:
    doc = contract.load()
    keys = stage_keys()
    threshold = int(doc["mql"]["score_threshold"])
    pairs = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    order = "\n".join(
        f"    {'union all ' if n else ''}select person_id, {literal(a + ' after ' + b)} as broken,"
        f" {stage_column(a)}::text as earlier_stage_at, {stage_column(b)}::text as later_stage_at"
        f" from {{batch}} where {stage_column(a)} > {stage_column(b)} and anomalies is null"
        for n, (a, b) in enumerate(pairs))
    implied = [(keys[i - 1] if keys[i - 1] != "mql" else keys[i - 2], key)
               for i, key in enumerate(keys) if i > 0]
    implication = " or ".join(
        f"({stage_column(later)} is not null and {stage_column(earlier)} is null)"
        for earlier, later in implied)

    def person_records(column: str) -> str:
        return f"""
    with person as (
        select p.person_id, p.{column} as marts_at, {_identity('r')} as identity_key
        from {{batch}} as p
        join {CRM_RECORDS} as r on r.crm = p.crm and r.record_id = p.crm_record_id
    ),
    counted as (
        select r.*, {_identity('r')} as identity_key
        from {CRM_RECORDS} as r where ({_record_exclusion('r')}) is null
    )"""

    mql_rule = f"""{person_records(stage_column('mql'))},
    expected as (
        select identity_key, bool_or(not is_sales_created
                                  and (coalesce(lead_score, 0) >= {threshold} or is_high_intent))
            as is_mql
        from counted group by identity_key
    )
    select person.person_id, person.marts_at::text as mql_at, expected.is_mql as meets_mql_rule
    from person join expected on expected.identity_key = person.identity_key
    where (person.marts_at is not null) <> expected.is_mql"""
    sql_rule = f"""{person_records(stage_column('sql'))},
    expected as (
        select identity_key,
            bool_or(coalesce(crm_sql_at, opportunity_at, won_at) is not null) as is_sql
        from counted group by identity_key
    )
    select person.person_id, person.marts_at::text as sql_at, expected.is_sql as meets_sql_rule
    from person join expected on expected.identity_key = person.identity_key
    where (person.marts_at is not null) <> expected.is_sql"""
    excluded = f"""
    select p.person_id, p.crm_record_id, {_record_exclusion('r')} as exclusion_reason
    from {{batch}} as p
    join {CRM_RECORDS} as r on r.crm = p.crm and r.record_id = p.crm_record_id
    where ({_record_exclusion('r')}) is not null"""
    sal = stage_column("sal")
    return [
        _rule("stages_in_waterfall_order",
              "each stage entered no earlier than the stages before it: "
              + " <= ".join(stage_column(k) for k in keys)
              + " (people whose CRM data cannot be right are flagged in dim_people.anomalies, "
              "counted in crm_anomalies, and not failed here)", "stages",
              "select * from (\n" + order + "\n) as broken_pairs"),
        _rule("later_stage_implies_earlier",
              "a later stage implies the earlier ones (MQL excepted: sales-created leads and "
              "leads sales accepted below the threshold skip it)", "stages",
              f"select person_id, current_stage from {{batch}} where {implication}"),
        _rule("mql_rule",
              f"MQL exactly when a counted record of the person scores >= {threshold} or showed "
              f"high intent ({', '.join(doc['mql'].get('high_intent', []))}), and was not "
              "created by sales", "mql", mql_rule),
        _rule("sql_rule",
              "SQL exactly when sales qualified a counted record of the person (the CRM's "
              "qualified values), or it has an opportunity", "stages.sql", sql_rule),
        _rule("excluded_records_absent",
              "no person stands on a test, internal, spam or competitor record (or, when the "
              "contract has no identity fallback, one without an email)", "exclusions",
              excluded),
        _rule("owner_once_accepted",
              "a person accepted by sales (SAL) has an owner", "stages.sal",
              f"select person_id, {sal}::text as sal_at from {{batch}}"
              f" where {sal} is not null and owner_id is null"),
    ]


def suites(folder: Path = MARTS_DIR) -> list[SuiteSpec]:
    """The contract's suites, one per mart, plus the people mart's SQL rules."""
    version = contract.version()
    specs = []
    for mart, columns in mart_columns(folder).items():
        expectations = _column_rules(mart, columns)
        if mart == PEOPLE_MART:
            expectations = _people_columns() + expectations
        if mart == STAGE_HISTORY_MART:
            expectations.append(_expect(
                "expect_column_values_to_be_in_set", "only the contract's stages", "stages",
                column="stage", value_set=stage_keys()))
        if expectations:
            specs.append(SuiteSpec(
                name=f"contract__{mart}", table=mart, scope="table", expectations=expectations,
                origin=f"contracts/lead_definition.yml {version}",
                description=f"The lead definition contract {version} on every row of {mart}."))
    specs.append(SuiteSpec(
        name=f"contract__{PEOPLE_MART}__rules", table=PEOPLE_MART, scope="table",
        expectations=_people_rules(), origin=f"contracts/lead_definition.yml {version}",
        description="The waterfall, MQL, SQL, exclusion and owner rules of the contract, "
                    "recomputed from the CRM's lead records."))
    return specs
