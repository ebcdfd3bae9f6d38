"""Data quality: CRM anomalies and exclusions (slug data-quality).

What the marts keep flagged and what they leave out, so nothing is dropped or excluded silently:
crm_anomalies (people and records per anomaly, zeros included), the flagged people
(dim_people.anomalies) and deals (opportunities.anomalies) themselves, and people_exclusions
(people and records per reason). The flagged rows are listed by a template that says so when
there is none, never an empty table; a deal's unknown amount shows as n/a.
"""

from __future__ import annotations

from bi.superset.datasets import (
    ANOMALIES,
    CRM_ANOMALIES,
    DIM_PEOPLE,
    OPPORTUNITIES,
    PEOPLE_EXCLUSIONS,
)
from bi.superset.vocabulary import (
    COUNT,
    Dashboard,
    category_bar,
    listing,
    raw_table,
    rounded,
    rows,
    timeseries,
)

CELL = 'style="padding: 3px 10px; border-bottom: 1px solid #e0e0e0; text-align: %s;"'


def _table(kind: str, headers: list[tuple[str, str]], cells: list[str], none: str) -> str:
    """A Handlebars table of the flagged rows (sorted first), or one line saying there is none
    (class revwh-none): the rows without a flag come after them and are not shown."""
    head = "".join(f"<th {CELL % align}>{label}</th>" for label, align in headers)
    body = "".join(f"<td {CELL % align}>{cell}</td>"
                   for cell, (_, align) in zip(cells, headers, strict=True))
    return "\n".join([
        "{{#if data.[0].anomalies}}",
        f'<table class="revwh-flagged" data-kind="{kind}"'
        ' style="border-collapse: collapse; font-size: 13px; width: 100%;">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        "{{#each data}}{{#if anomalies}}",
        f'<tr class="revwh-flagged-row" data-flag="{{{{anomalies}}}}">{body}</tr>',
        "{{/if}}{{/each}}",
        "</tbody>",
        "</table>",
        "{{else}}",
        f'<div class="revwh-flagged revwh-none" data-kind="{kind}" style="padding: 4px 8px;">'
        f"{none}</div>",
        "{{/if}}",
    ]) + "\n"


PEOPLE_TEMPLATE = _table(
    "people",
    [("First contact", "left"), ("CRM record", "left"), ("Stage", "left"),
     ("Channel", "left"), ("Anomalies", "left")],
    ["{{dateFormat inquiry_at format='YYYY-MM-DD'}}", "{{crm_record_id}}", "{{current_stage}}",
     "{{first_touch_channel}}", "{{anomalies}}"],
    "None: no person first contacted in the selected range is flagged")

DEALS_TEMPLATE = _table(
    "deals",
    [("Created", "left"), ("Deal", "left"), ("CRM record", "left"), ("Outcome", "left"),
     ("Amount", "right"), ("Anomalies", "left")],
    ["{{dateFormat created_at format='YYYY-MM-DD'}}", "{{opportunity_id}}", "{{crm_record_id}}",
     "{{outcome}}",
     "{{#if (eq shown_amount null)}}n/a{{else}}${{formatNumber shown_amount}}{{/if}}",
     "{{anomalies}}"],
    "None: no deal created in the selected range is flagged")

CHARTS = [
    raw_table("quality.anomalies", "CRM anomalies: people and records flagged",
              CRM_ANOMALIES, ["anomaly", "description", "people", "records"], "sort_order",
              width=6, height=40,
              description="Per anomaly, the people dim_people flags with it and the CRM records "
                          "that carry it, zeros included (crm_anomalies, all time). The rows "
                          "stay in the marts, flagged: nothing is dropped."),
    raw_table("quality.exclusions", "People excluded, per reason", PEOPLE_EXCLUSIONS,
              ["exclusion_reason", "description", "people", "records"], "sort_order",
              width=6, height=40,
              description="Per reason, the people left out of dim_people and the CRM records "
                          "excluded for it, zeros included (people_exclusions, all time). The "
                          "gate reconciles these counts with the raw CRM."),
    timeseries("quality.anomalies_weekly", "Flagged people per week, by anomaly", DIM_PEOPLE,
               list(ANOMALIES), viz="bar", stack=True, fmt=COUNT, width=6, height=50,
               description="People whose CRM data carries each anomaly, by the week of their "
                           "first contact (dim_people.anomalies; a person with two anomalies "
                           "counts under both)."),
    category_bar("quality.exclusions_bar", "People excluded per reason", PEOPLE_EXCLUSIONS,
                 "reason_label", ["people"], width=6, height=50, sort_by_x=True, fmt=COUNT,
                 description="The people column of people_exclusions, in the reasons' order."),
    listing("quality.flagged_people", "Flagged people", DIM_PEOPLE,
            ["inquiry_at", "crm_record_id", "current_stage", "first_touch_channel",
             "anomalies"], PEOPLE_TEMPLATE, [("is_flagged", False), ("inquiry_at", False)],
            height=50,
            description="The people in the date range (by first contact) whose CRM data "
                        "says what cannot be, with the anomalies (dim_people.anomalies; the "
                        "first 500)."),
    listing("quality.flagged_deals", "Flagged deals", OPPORTUNITIES,
            ["created_at", "opportunity_id", "crm_record_id", "outcome",
             rounded("amount_reporting", "shown_amount", 0), "anomalies"],
            DEALS_TEMPLATE, [("is_flagged", False), ("created_at", False)], height=50,
            description="Every deal created in the date range that the CRM dates before its "
                        "person's first contact, with its amount (n/a when the CRM has none) "
                        "and the anomalies (opportunities.anomalies; the first 500)."),
]

DASHBOARD = Dashboard(
    "data-quality", "Data quality: CRM anomalies and exclusions",
    "What the CRM data says that cannot be, and who is not counted. Anomalous rows (a deal won "
    "or created before the lead's first contact, a stage entered before the record was "
    "created) stay in the marts as the data says, flagged, and are counted here; excluded "
    "people (test, internal, spam, competitor, no email, deleted) are counted per reason. The "
    "counts are all time; the date range selects the flagged people by first contact and the "
    "flagged deals by creation.",
    rows(CHARTS), DIM_PEOPLE)
