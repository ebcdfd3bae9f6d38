"""The simulated company's CRM as any other CRM exports it (CRM=csv_crm, docs/byo-crm.md):
``leads.csv`` and ``deals.csv``, one file per day of modifications (each changed record's new
version), and the mapping that describes them (``csv_crm/mapping.yml`` in the landing folder).

The same truth as the HubSpot and Salesforce writers, on the common lead and deal model:
stages as the CRM's own words, stage dates, the web visitor id a form carried, amounts. Sales
activities and merged records, which a CSV export cannot say, are not written. Deleted records
are not written either: an export can mark them (the mapped fields is_deleted / deleted_at,
docs/byo-crm.md; tests/fixtures/crm_deletions), but this writer's mapping has no such column,
so a deleted record simply stops changing (a deleted lead keeps its latest version).
"""

from __future__ import annotations

from datetime import datetime

from revwh.simulate.company import Company, Person, timeline
from revwh.simulate.landing import Landing, iso_ms

LEADS = ["Lead ID", "Email", "First Name", "Last Name", "Company", "Owner", "Created",
         "Last Modified", "Status", "Source", "How did you hear", "Score", "Rejection Reason",
         "Deal ID", "MQL Date", "SAL Date", "SQL Date", "Disqualified Date", "Visitor ID"]
DEALS = ["Deal ID", "Lead ID", "Account", "Deal Name", "Owner", "Amount", "Currency", "Stage",
         "Pipeline Stage", "Created", "Closed", "Lost Reason"]
STATUS = {"created": "New", "mql": "Marketing Qualified", "sal": "Working",
          "disqualified": "Disqualified", "sql": "Sales Qualified", "opportunity": "Opportunity",
          "customer": "Customer"}
SOURCE = {"paid_search": "Google Ads", "paid_social": "Paid Social", "display": "Display",
          "organic_search": "Organic Search", "organic_social": "Social",
          "email": "Newsletter", "referral": "Referral", "direct": "Direct",
          "outbound": "Cold Outreach", "events": "Trade Show", "partner": "Partner",
          "word_of_mouth": "Customer Referral"}
DEAL_STAGE = {"discovery": "open", "demo": "open", "proposal": "open", "negotiation": "open",
              "closed_won": "closed_won", "closed_lost": "closed_lost"}

MAPPING = """\
# The simulated company's CRM export (revwh.simulate.crm_csv), described for the loader.
version: 1
crm: simulated_csv
timezone: UTC
entities:
  leads:
    columns:
      lead_id: "Lead ID"
      email: "Email"
      first_name: "First Name"
      last_name: "Last Name"
      company: "Company"
      owner: "Owner"
      created_at: "Created"
      updated_at: "Last Modified"
      stage:
        column: "Status"
        values:
{stages}
      channel:
        column: "Source"
        values:
{channels}
      self_reported_source: "How did you hear"
      score: "Score"
      rejection_reason: "Rejection Reason"
      converted_deal_id: "Deal ID"
      mql_at: "MQL Date"
      sal_at: "SAL Date"
      sql_at: "SQL Date"
      disqualified_at: "Disqualified Date"
      ga_client_id: "Visitor ID"
  deals:
    columns:
      deal_id: "Deal ID"
      lead_id: "Lead ID"
      account_name: "Account"
      name: "Deal Name"
      owner: "Owner"
      amount: "Amount"
      currency: "Currency"
      stage: "Stage"
      pipeline_stage: "Pipeline Stage"
      created_at: "Created"
      closed_at: "Closed"
      lost_reason: "Lost Reason"
"""
COMMON_STAGE = {"New": "lead", "Marketing Qualified": "mql", "Working": "sal",
                "Disqualified": "disqualified", "Sales Qualified": "sql",
                "Opportunity": "opportunity", "Customer": "customer"}


def lead_id(person: Person) -> str:
    return f"L-{int(person.person_id[1:]):06d}"


def deal_id(opportunity_id: str) -> str:
    return f"D-{int(opportunity_id[1:]):06d}"


def mapping_text() -> str:
    stages = "\n".join(f'          "{k}": {v}' for k, v in COMMON_STAGE.items())
    channels = "\n".join(f'          "{v}": {k}' for k, v in SOURCE.items())
    return MAPPING.format(stages=stages, channels=channels)


def write(landing: Landing, company: Company) -> None:
    landing.csv_headers[("csv_crm", "leads")] = LEADS
    landing.csv_headers[("csv_crm", "deals")] = DEALS
    horizon = company.horizon
    for person in company.people:
        if person.created_at < horizon:
            _lead(landing, person, horizon)
    for opportunity in company.opportunities:
        _deal(landing, opportunity, horizon)
    landing.touch("csv_crm", "leads", "leads.csv")
    landing.touch("csv_crm", "deals", "deals.csv")
    folder = landing.root / "csv_crm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mapping.yml").write_text(mapping_text(), encoding="utf-8")


def _at(moment: datetime | None, now: datetime) -> str:
    return iso_ms(moment) if moment is not None and moment <= now else ""


def _lead(landing: Landing, person: Person, horizon: datetime) -> None:
    events = timeline(person, horizon)
    status, owner = "New", ""
    session = person.session or (person.duplicate_of.session if person.duplicate_of else None)
    opp = person.opportunity
    for moment in sorted({at for at, _ in events}):
        for at, what in events:
            if at != moment:
                continue
            if what == "created" and person.sales_sourced:
                status = "Working"
            elif what in STATUS and what != "created":
                status = STATUS[what]
            if what in ("mql", "created") and person.owner and (what == "mql"
                                                               or person.sales_sourced):
                owner = person.owner[0]
        if any(what in ("merged", "deleted") for at, what in events if at == moment):
            continue  # this export has no deleted column: the record simply stops changing
        landing.add("csv_crm", "leads", moment.date(), "leads.csv", [{
            "Lead ID": lead_id(person), "Email": person.email,
            "First Name": person.first_name, "Last Name": person.last_name,
            "Company": person.account.name, "Owner": owner,
            "Created": iso_ms(person.created_at), "Last Modified": iso_ms(moment),
            "Status": status, "Source": SOURCE[person.channel],
            "How did you hear": person.heard_about, "Score": person.score_at(moment),
            "Rejection Reason": person.rejection_reason
            if person.disqualified_at is not None and person.disqualified_at <= moment else "",
            "Deal ID": deal_id(opp.opportunity_id) if opp and opp.created_at <= moment else "",
            "MQL Date": _at(person.mql_at, moment), "SAL Date": _at(person.sal_at, moment),
            "SQL Date": _at(person.sql_at, moment),
            "Disqualified Date": _at(person.disqualified_at, moment),
            "Visitor ID": session.visitor.user_pseudo_id if session else ""}])


def _deal(landing: Landing, opportunity, horizon: datetime) -> None:
    person = opportunity.person
    for at, stage in opportunity.stages:
        if at >= horizon:
            break
        closed = stage.startswith("closed")
        landing.add("csv_crm", "deals", at.date(), "deals.csv", [{
            "Deal ID": deal_id(opportunity.opportunity_id), "Lead ID": lead_id(person),
            "Account": person.account.name,
            "Deal Name": f"{person.account.name} - new business",
            "Owner": person.owner[0] if person.owner else "",
            "Amount": f"{opportunity.amount:.2f}", "Currency": "USD",
            "Stage": DEAL_STAGE[stage], "Pipeline Stage": stage,
            "Created": iso_ms(opportunity.created_at), "Closed": iso_ms(at) if closed else "",
            "Lost Reason": opportunity.lost_reason if stage == "closed_lost" else ""}])
