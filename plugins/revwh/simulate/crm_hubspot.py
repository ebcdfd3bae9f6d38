"""The simulated company's CRM as HubSpot delivers it (CRM API v3 objects with
propertiesWithHistory, Engagements API v1, Forms API submissions), one file per day of
modifications (an incremental extract by lastmodifieddate)."""

from __future__ import annotations

from datetime import datetime

from revwh.simulate.company import OWNERS, Company, Person, timeline
from revwh.simulate.landing import Landing, iso_ms, ms
from revwh.simulate.web import landing_url

ANALYTICS_SOURCE = {
    "paid_search": "PAID_SEARCH", "paid_social": "PAID_SOCIAL",
    "organic_search": "ORGANIC_SEARCH", "direct": "DIRECT_TRAFFIC", "referral": "REFERRALS",
    "email": "EMAIL_MARKETING", "organic_social": "SOCIAL_MEDIA",
    "outbound": "OFFLINE", "events": "OFFLINE", "partner": "OFFLINE", "word_of_mouth": "OFFLINE",
}
LEAD_SOURCE = {"outbound": "Outbound", "events": "Event", "partner": "Partner",
               "word_of_mouth": "Customer Referral"}
DEAL_STAGE = {"discovery": "appointmentscheduled", "demo": "qualifiedtobuy",
              "proposal": "presentationscheduled", "negotiation": "contractsent",
              "closed_won": "closedwon", "closed_lost": "closedlost"}
LIFECYCLE = {"created": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead",
             "opportunity": "opportunity", "customer": "customer"}
LEAD_STATUS = {"created": "NEW", "touched": "ATTEMPTED_TO_CONTACT", "sal": "CONNECTED",
               "disqualified": "UNQUALIFIED", "sql": "OPEN_DEAL"}


def contact_id(person: Person) -> str:
    return str(100000 + int(person.person_id[1:]))


def company_id(account_id: str) -> str:
    return str(9000000 + int(account_id[1:]))


def deal_id(opportunity_id: str) -> str:
    return str(7000000 + int(opportunity_id[1:]))


def _history(changes: list[tuple[datetime, str]]) -> list[dict]:
    return [{"value": value, "timestamp": iso_ms(at), "sourceType": "CRM_UI",
             "sourceId": "userId:1"} for at, value in reversed(changes)]


def write(landing: Landing, company: Company) -> None:
    horizon = company.horizon
    merged_into: dict[str, list[tuple[datetime, str]]] = {}
    for person in company.people:
        if person.duplicate_of is not None and person.merged_at is not None:
            merged_into.setdefault(person.duplicate_of.person_id, []).append(
                (person.merged_at, contact_id(person)))
    for person in company.people:
        if person.created_at >= horizon:
            continue
        _contact(landing, person, horizon, merged_into.get(person.person_id, []))
        _forms(landing, person)
        for at, kind in person.touches:
            if at < horizon and person.owner:
                landing.add("hubspot", "engagements", at.date(), "engagements.jsonl", [{
                    "engagement": {"id": 30000000 + company.next_id(), "type": kind,
                                   "timestamp": ms(at), "createdAt": ms(at),
                                   "ownerId": int(person.owner[0]), "active": True},
                    "associations": {"contactIds": [int(contact_id(person))],
                                     "companyIds": [int(company_id(person.account.account_id))],
                                     "dealIds": []},
                    "metadata": {"status": "COMPLETED"} if kind != "EMAIL" else
                    {"subject": "Following up on your request"}}])
    for account in company.accounts:
        if account.created_at is None or account.created_at >= horizon:
            continue
        created = iso_ms(account.created_at)
        landing.add("hubspot", "companies", account.created_at.date(), "companies.jsonl", [{
            "id": company_id(account.account_id),
            "properties": {"name": account.name, "domain": account.domain,
                           "industry": account.industry.upper(),
                           "numberofemployees": str(account.employees), "createdate": created,
                           "hs_lastmodifieddate": created,
                           "hs_object_id": company_id(account.account_id)},
            "createdAt": created, "updatedAt": created, "archived": False}])
    for opportunity in company.opportunities:
        _deal(landing, opportunity, horizon)
    for day in landing.days:
        landing.add("hubspot", "owners", day, "owners.jsonl", [{
            "id": owner_id, "email": f"{first}.{last}@acme-analytics.example".lower(),
            "firstName": first, "lastName": last, "userId": int(owner_id) + 1000,
            "teams": [{"id": team.replace(" ", "-").lower(), "name": team, "primary": True}],
            "createdAt": "2025-01-06T09:00:00.000Z", "updatedAt": "2025-01-06T09:00:00.000Z",
            "archived": False} for owner_id, first, last, team in OWNERS])
    for entity in ("contacts", "companies", "deals", "engagements", "form_submissions"):
        landing.touch("hubspot", entity, f"{entity}.jsonl")


def _contact(landing: Landing, person: Person, horizon: datetime,
             merges: list[tuple[datetime, str]]) -> None:
    events = timeline(person, horizon)
    moments = sorted({at for at, _ in events} | {at for at, _ in merges if at < horizon})
    stages: list[tuple[datetime, str]] = []
    statuses: list[tuple[datetime, str]] = []
    owner = None
    archived_at = None
    source = person.duplicate_of.channel if person.duplicate_of else person.channel
    for moment in moments:
        for at, what in events:
            if at != moment:
                continue
            if what in LIFECYCLE and (not stages or stages[-1][1] != LIFECYCLE[what]):
                stages.append((at, LIFECYCLE[what]))
            if what in LEAD_STATUS:
                status = "IN_PROGRESS" if what == "created" and person.sales_sourced \
                    else LEAD_STATUS[what]
                statuses.append((at, status))
            if what in ("mql", "created") and person.owner and (
                    what == "mql" or person.sales_sourced):
                owner = person.owner[0]
            if what in ("merged", "deleted"):
                archived_at = at
        merged_ids = [cid for at, cid in merges if at <= moment]
        properties = {
            "hs_object_id": contact_id(person),
            "email": person.email, "firstname": person.first_name,
            "lastname": person.last_name, "company": person.account.name,
            "createdate": iso_ms(person.created_at), "lastmodifieddate": iso_ms(moment),
            "lifecyclestage": stages[-1][1] if stages else "lead",
            "hs_lead_status": statuses[-1][1] if statuses else "NEW",
            "hs_analytics_source": ANALYTICS_SOURCE[source],
            "hs_analytics_source_data_1": (person.campaign or "") if not person.sales_sourced
            else ("IMPORT" if person.channel == "events" else "CRM_UI"),
            "hs_google_click_id": "", "hs_facebook_click_id": "",
            "hubspotscore": str(person.score_at(moment)),
            "hubspot_owner_id": owner or "",
            "how_did_you_hear_about_us": person.heard_about,
            "lead_source": LEAD_SOURCE.get(person.channel, "Web"),
            "ga_client_id": "", "rejection_reason": person.rejection_reason
            if any(w == "disqualified" and at <= moment for at, w in events) else "",
            "associatedcompanyid": company_id(person.account.account_id),
            "hs_merged_object_ids": ";".join(merged_ids),
        }
        session = person.session or (person.duplicate_of.session if person.duplicate_of
                                     else None)
        if session is not None:
            properties["ga_client_id"] = session.visitor.user_pseudo_id
            first = session.visitor.first_session or session
            if first.ad is not None and first.click_id:
                key = "hs_google_click_id" if first.ad.account.platform == "google_ads" \
                    else "hs_facebook_click_id" if first.ad.account.platform == "meta_ads" \
                    else None
                if key:
                    properties[key] = first.click_id
        record = {"id": contact_id(person), "properties": properties,
                  "propertiesWithHistory": {"lifecyclestage": _history(stages),
                                            "hs_lead_status": _history(statuses)},
                  "createdAt": iso_ms(person.created_at), "updatedAt": iso_ms(moment),
                  "archived": archived_at is not None}
        if archived_at is not None:
            record["archivedAt"] = iso_ms(archived_at)
        landing.add("hubspot", "contacts", moment.date(), "contacts.jsonl", [record])


def _forms(landing: Landing, person: Person) -> None:
    session = person.session or (person.duplicate_of.session if person.duplicate_of else None)
    if session is None or person.sales_sourced:
        return
    url, source, medium, campaign = landing_url(session)
    values = [{"name": "email", "value": person.email},
              {"name": "firstname", "value": person.first_name},
              {"name": "lastname", "value": person.last_name},
              {"name": "company", "value": person.account.name},
              {"name": "how_did_you_hear_about_us", "value": person.heard_about},
              {"name": "ga_client_id", "value": session.visitor.user_pseudo_id}]
    if source:
        values += [{"name": "utm_source", "value": source},
                   {"name": "utm_medium", "value": medium or ""},
                   {"name": "utm_campaign", "value": campaign or ""}]
    landing.add("hubspot", "form_submissions", person.created_at.date(),
                "form_submissions.jsonl", [{
                    "form_guid": "5f0c1d2e-demo-request" if person.demo_request
                    else "8a7b6c5d-guide-download",
                    "submittedAt": ms(person.created_at), "values": values,
                    "pageUrl": url, "pageName": "Request a demo" if person.demo_request
                    else "Revenue analytics guide",
                    "conversionId": f"conv-{person.person_id}"}])


def _deal(landing: Landing, opportunity, horizon: datetime) -> None:
    person = opportunity.person
    stages: list[tuple[datetime, str]] = []
    ae = OWNERS[4 + int(opportunity.opportunity_id[1:]) % 2][0]
    for at, stage in opportunity.stages:
        if at >= horizon:
            break
        stages.append((at, DEAL_STAGE[stage]))
        closed = stage.startswith("closed")
        expected = opportunity.closed_at if closed else opportunity.stages[0][0].replace(
            hour=0, minute=0, second=0, microsecond=0)
        properties = {
            "hs_object_id": deal_id(opportunity.opportunity_id),
            "dealname": f"{person.account.name} - new business",
            "amount": str(opportunity.amount), "deal_currency_code": "USD",
            "dealstage": DEAL_STAGE[stage], "pipeline": "default",
            "createdate": iso_ms(opportunity.created_at),
            "closedate": iso_ms(expected), "hubspot_owner_id": ae,
            "closed_lost_reason": opportunity.lost_reason if stage == "closed_lost" else "",
            "hs_is_closed": str(closed).lower(),
            "hs_is_closed_won": str(stage == "closed_won").lower(),
            "hs_lastmodifieddate": iso_ms(at),
        }
        landing.add("hubspot", "deals", at.date(), "deals.jsonl", [{
            "id": deal_id(opportunity.opportunity_id), "properties": properties,
            "propertiesWithHistory": {"dealstage": _history(list(stages))},
            "associations": {
                "contacts": {"results": [{"id": contact_id(person),
                                          "type": "deal_to_contact"}]},
                "companies": {"results": [{"id": company_id(person.account.account_id),
                                           "type": "deal_to_company"}]}},
            "createdAt": iso_ms(opportunity.created_at), "updatedAt": iso_ms(at),
            "archived": False}])
