"""The simulated company's CRM as Salesforce delivers it: Bulk API 2.0 query results (CSV with
API field names, CRLF line ends), one file per object and day of SystemModstamp."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from revwh.simulate.ads import campaign_name
from revwh.simulate.company import ADS, OWNERS, Company, Person, timeline
from revwh.simulate.landing import Landing, iso_ms
from revwh.simulate.web import landing_url

HEADERS = {
    "lead": ["Id", "IsDeleted", "MasterRecordId", "FirstName", "LastName", "Email", "Company",
             "Title", "Status", "LeadSource", "OwnerId", "Rating", "IsConverted",
             "ConvertedDate", "ConvertedContactId", "ConvertedAccountId",
             "ConvertedOpportunityId", "How_Did_You_Hear__c", "Lead_Score__c",
             "Rejection_Reason__c", "UTM_Source__c", "UTM_Medium__c", "UTM_Campaign__c",
             "GCLID__c", "GA_Client_ID__c", "MQL_Date__c", "CreatedDate", "LastModifiedDate",
             "SystemModstamp"],
    "lead_history": ["Id", "IsDeleted", "LeadId", "CreatedById", "CreatedDate", "Field",
                     "OldValue", "NewValue"],
    "contact": ["Id", "IsDeleted", "MasterRecordId", "AccountId", "FirstName", "LastName",
                "Email", "Title", "OwnerId", "LeadSource", "CreatedDate", "LastModifiedDate",
                "SystemModstamp"],
    "account": ["Id", "IsDeleted", "MasterRecordId", "Name", "Industry", "NumberOfEmployees",
                "BillingCountry", "Website", "OwnerId", "CreatedDate", "LastModifiedDate",
                "SystemModstamp"],
    "opportunity": ["Id", "IsDeleted", "AccountId", "Name", "Amount", "CurrencyIsoCode",
                    "StageName", "Probability", "CloseDate", "IsClosed", "IsWon", "OwnerId",
                    "LeadSource", "CampaignId", "Type", "Loss_Reason__c", "CreatedDate",
                    "LastModifiedDate", "SystemModstamp"],
    "opportunity_history": ["Id", "IsDeleted", "OpportunityId", "StageName", "Amount",
                            "CloseDate", "Probability", "CreatedById", "CreatedDate",
                            "SystemModstamp"],
    "task": ["Id", "IsDeleted", "WhoId", "WhatId", "OwnerId", "Subject", "Status", "TaskSubtype",
             "Type", "ActivityDate", "CompletedDateTime", "CreatedDate", "LastModifiedDate",
             "SystemModstamp"],
    "event": ["Id", "IsDeleted", "WhoId", "WhatId", "OwnerId", "Subject", "Type",
              "StartDateTime", "EndDateTime", "CreatedDate", "LastModifiedDate",
              "SystemModstamp"],
    "user": ["Id", "Name", "FirstName", "LastName", "Email", "Department", "Title",
             "UserRoleId", "IsActive", "CreatedDate", "LastModifiedDate", "SystemModstamp"],
    "campaign": ["Id", "IsDeleted", "Name", "Type", "Status", "StartDate", "EndDate",
                 "ParentId", "CreatedDate", "LastModifiedDate", "SystemModstamp"],
    "campaign_member": ["Id", "IsDeleted", "CampaignId", "LeadId", "ContactId", "Status",
                        "HasResponded", "FirstRespondedDate", "CreatedDate", "LastModifiedDate",
                        "SystemModstamp"],
}
FILES = {"lead": "Lead.csv", "lead_history": "LeadHistory.csv", "contact": "Contact.csv",
         "account": "Account.csv", "opportunity": "Opportunity.csv",
         "opportunity_history": "OpportunityHistory.csv", "task": "Task.csv",
         "event": "Event.csv", "user": "User.csv", "campaign": "Campaign.csv",
         "campaign_member": "CampaignMember.csv"}
LEAD_SOURCE = {"paid_search": "Advertisement", "paid_social": "Advertisement",
               "organic_search": "Web", "direct": "Web", "referral": "Web", "email": "Web",
               "organic_social": "Web", "outbound": "Outbound", "events": "Trade Show",
               "partner": "Partner Referral", "word_of_mouth": "Customer Referral"}
STAGE = {"discovery": ("Qualification", 10), "demo": ("Needs Analysis", 25),
         "proposal": ("Proposal/Price Quote", 60), "negotiation": ("Negotiation/Review", 80),
         "closed_won": ("Closed Won", 100), "closed_lost": ("Closed Lost", 0)}
EVENT_CAMPAIGN = "SaaStr Europa 2026 booth"


def sfid(prefix: str, n: int | str) -> str:
    """An 18-character Salesforce id with the object's key prefix."""
    return f"{prefix}Dn{int(n):010d}AAB"


def owner_sfid(owner_id: str) -> str:
    return sfid("005", owner_id)


def _ts(moment: datetime) -> str:
    return iso_ms(moment).replace("Z", "+0000")


def write(landing: Landing, company: Company) -> None:
    for entity, header in HEADERS.items():
        landing.csv_headers[("salesforce", entity)] = header
    horizon = company.horizon
    campaigns = _campaigns(landing, company)
    converted_accounts: set[str] = set()
    history_n = 0
    for person in company.people:
        if person.created_at >= horizon:
            continue
        history_n = _lead(landing, company, person, horizon, campaigns, converted_accounts,
                          history_n)
    for day in landing.days:
        landing.add("salesforce", "user", day, "User.csv", [{
            "Id": owner_sfid(owner_id), "Name": f"{first} {last}", "FirstName": first,
            "LastName": last, "Email": f"{first}.{last}@acme-analytics.example".lower(),
            "Department": team, "Title": "Account Executive" if team.startswith("AE")
            else "Sales Development Rep", "UserRoleId": sfid("00E", 1 + (team[:2] == "AE")),
            "IsActive": True, "CreatedDate": "2025-01-06T09:00:00.000+0000",
            "LastModifiedDate": "2025-01-06T09:00:00.000+0000",
            "SystemModstamp": "2025-01-06T09:00:00.000+0000"}
            for owner_id, first, last, team in OWNERS])
    for entity, name in FILES.items():
        landing.touch("salesforce", entity, name)
    if company.config.mess:
        _mess(landing, company)


def _campaigns(landing: Landing, company: Company) -> dict[str, str]:
    start = company.config.start
    stamp = _ts(datetime.combine(start, datetime.min.time(), UTC))
    names = sorted({campaign_name(company, ad, start) for ad in ADS} | {EVENT_CAMPAIGN})
    ids = {name: sfid("701", n) for n, name in enumerate(names, start=1)}
    landing.add("salesforce", "campaign", start, "Campaign.csv", [{
        "Id": ids[name], "IsDeleted": False, "Name": name,
        "Type": "Trade Show" if name == EVENT_CAMPAIGN else "Advertisement",
        "Status": "In Progress",
        "StartDate": start.isoformat(), "EndDate": "", "ParentId": "", "CreatedDate": stamp,
        "LastModifiedDate": stamp, "SystemModstamp": stamp} for name in names])
    return ids


def _lead(landing: Landing, company: Company, person: Person, horizon: datetime,
          campaigns: dict[str, str], converted_accounts: set[str], history_n: int) -> int:
    n = int(person.person_id[1:])
    lead_id = sfid("00Q", n)
    contact_id, account_id = sfid("003", n), sfid("001", person.account.account_id[1:])
    opp = person.opportunity
    opp_id = sfid("006", opp.opportunity_id[1:]) if opp else ""
    session = person.session or (person.duplicate_of.session if person.duplicate_of else None)
    utm = landing_url(session)[1:] if session else (None, None, None)
    first = session.visitor.first_session if session else None
    gclid = first.click_id if first and first.ad and first.ad.account.platform == "google_ads" \
        else ""
    status, owner, converted, deleted, master = "Open - Not Contacted", "", False, False, ""
    owner_default = owner_sfid(OWNERS[0][0])  # the lead queue's owner until assignment
    events = timeline(person, horizon)
    previous_status = None
    for moment in sorted({at for at, _ in events}):
        for at, what in events:
            if at != moment:
                continue
            if what == "created" and person.sales_sourced:
                status = "Working - Contacted"
            if what == "touched":  # sales tried; accepting it is "Working - Contacted"
                status = "Attempting Contact"
            if what == "sal":
                status = "Working - Contacted"
            if what == "disqualified":
                status = "Closed - Not Converted"
            if what == "sql":
                status, converted = "Closed - Converted", True
            if what in ("mql", "created") and person.owner and (what == "mql"
                                                               or person.sales_sourced):
                owner = owner_sfid(person.owner[0])
            if what in ("merged", "deleted"):
                deleted = True
                if what == "merged" and person.duplicate_of is not None:
                    master = sfid("00Q", person.duplicate_of.person_id[1:])
        row = {
            "Id": lead_id, "IsDeleted": deleted, "MasterRecordId": master,
            "FirstName": person.first_name, "LastName": person.last_name, "Email": person.email,
            "Company": person.account.name, "Title": "", "Status": status,
            "LeadSource": LEAD_SOURCE[person.channel], "OwnerId": owner or owner_default,
            "Rating": "Hot" if person.demo_request else "", "IsConverted": converted,
            "ConvertedDate": person.sql_at.date().isoformat() if converted else "",
            "ConvertedContactId": contact_id if converted else "",
            "ConvertedAccountId": account_id if converted else "",
            "ConvertedOpportunityId": opp_id if converted and opp and opp.created_at <= moment
            else "",
            "How_Did_You_Hear__c": person.heard_about, "Lead_Score__c": person.score_at(moment),
            "Rejection_Reason__c": person.rejection_reason if status.startswith("Closed - Not")
            else "",
            "UTM_Source__c": utm[0] or "", "UTM_Medium__c": utm[1] or "",
            "UTM_Campaign__c": utm[2] or "", "GCLID__c": gclid,
            "GA_Client_ID__c": session.visitor.user_pseudo_id if session else "",
            "MQL_Date__c": _ts(person.mql_at) if person.mql_at and person.mql_at <= moment
            else "",
            "CreatedDate": _ts(person.created_at), "LastModifiedDate": _ts(moment),
            "SystemModstamp": _ts(moment),
        }
        landing.add("salesforce", "lead", moment.date(), "Lead.csv", [row])
        if status != previous_status:
            history_n += 1
            landing.add("salesforce", "lead_history", moment.date(), "LeadHistory.csv", [{
                "Id": sfid("017", history_n), "IsDeleted": False, "LeadId": lead_id,
                "CreatedById": owner or owner_default, "CreatedDate": _ts(moment),
                "Field": "created" if previous_status is None else "Status",
                "OldValue": previous_status or "", "NewValue": "" if previous_status is None
                else status}])
            previous_status = status
    if session and session.ad is not None and not person.sales_sourced:
        name = campaign_name(company, session.ad, person.created_at.date())
        if name in campaigns:
            _member(landing, campaigns[name], lead_id, person.created_at, n)
    if person.channel == "events":
        _member(landing, campaigns[EVENT_CAMPAIGN], lead_id, person.created_at, n)
    if person.sql_at is not None and person.sql_at < horizon:
        _converted(landing, person, contact_id, account_id, converted_accounts)
    if opp is not None:
        _opportunity(landing, opp, account_id, horizon)
    for at, kind in person.touches:
        if at >= horizon or person.owner is None:
            continue
        who = contact_id if person.sql_at and at >= person.sql_at else lead_id
        tid = company.next_id()
        common = {"IsDeleted": False, "WhoId": who, "WhatId": opp_id if opp and
                  at >= opp.created_at else "", "OwnerId": owner_sfid(person.owner[0]),
                  "CreatedDate": _ts(at), "LastModifiedDate": _ts(at), "SystemModstamp": _ts(at)}
        if kind == "MEETING":
            landing.add("salesforce", "event", at.date(), "Event.csv", [{
                **common, "Id": sfid("00U", tid), "Subject": "Discovery call", "Type": "Meeting",
                "StartDateTime": _ts(at), "EndDateTime": _ts(at + timedelta(minutes=30))}])
        else:
            landing.add("salesforce", "task", at.date(), "Task.csv", [{
                **common, "Id": sfid("00T", tid), "Subject": kind.title(), "Status": "Completed",
                "TaskSubtype": "Call" if kind == "CALL" else "Email", "Type": kind.title(),
                "ActivityDate": at.date().isoformat(), "CompletedDateTime": _ts(at)}])
    return history_n


def _member(landing: Landing, campaign_id: str, lead_id: str, at: datetime, n: int) -> None:
    landing.add("salesforce", "campaign_member", at.date(), "CampaignMember.csv", [{
        "Id": sfid("00v", n), "IsDeleted": False, "CampaignId": campaign_id, "LeadId": lead_id,
        "ContactId": "", "Status": "Responded", "HasResponded": True,
        "FirstRespondedDate": at.date().isoformat(), "CreatedDate": _ts(at),
        "LastModifiedDate": _ts(at), "SystemModstamp": _ts(at)}])


def _converted(landing: Landing, person: Person, contact_id: str, account_id: str,
               converted_accounts: set[str]) -> None:
    at = person.sql_at
    landing.add("salesforce", "contact", at.date(), "Contact.csv", [{
        "Id": contact_id, "IsDeleted": False, "MasterRecordId": "", "AccountId": account_id,
        "FirstName": person.first_name, "LastName": person.last_name, "Email": person.email,
        "Title": "", "OwnerId": owner_sfid(person.owner[0]) if person.owner else "",
        "LeadSource": LEAD_SOURCE[person.channel], "CreatedDate": _ts(at),
        "LastModifiedDate": _ts(at), "SystemModstamp": _ts(at)}])
    if account_id not in converted_accounts:
        converted_accounts.add(account_id)
        account = person.account
        landing.add("salesforce", "account", at.date(), "Account.csv", [{
            "Id": account_id, "IsDeleted": False, "MasterRecordId": "", "Name": account.name,
            "Industry": account.industry, "NumberOfEmployees": account.employees,
            "BillingCountry": "United States", "Website": f"https://{account.domain}",
            "OwnerId": owner_sfid(person.owner[0]) if person.owner else "",
            "CreatedDate": _ts(at), "LastModifiedDate": _ts(at), "SystemModstamp": _ts(at)}])


def _opportunity(landing: Landing, opp, account_id: str, horizon: datetime) -> None:
    opp_id = sfid("006", opp.opportunity_id[1:])
    ae = owner_sfid(OWNERS[4 + int(opp.opportunity_id[1:]) % 2][0])
    expected = (opp.created_at + timedelta(days=45)).date().isoformat()
    for index, (at, stage) in enumerate(opp.stages):
        if at >= horizon:
            break
        name, probability = STAGE[stage]
        closed = stage.startswith("closed")
        landing.add("salesforce", "opportunity", at.date(), "Opportunity.csv", [{
            "Id": opp_id, "IsDeleted": False, "AccountId": account_id,
            "Name": f"{opp.person.account.name} - New Business", "Amount": f"{opp.amount:.2f}",
            "CurrencyIsoCode": "USD", "StageName": name, "Probability": probability,
            "CloseDate": at.date().isoformat() if closed else expected, "IsClosed": closed,
            "IsWon": stage == "closed_won", "OwnerId": ae,
            "LeadSource": LEAD_SOURCE[opp.person.channel], "CampaignId": "",
            "Type": "New Business", "Loss_Reason__c": opp.lost_reason
            if stage == "closed_lost" else "", "CreatedDate": _ts(opp.created_at),
            "LastModifiedDate": _ts(at), "SystemModstamp": _ts(at)}])
        landing.add("salesforce", "opportunity_history", at.date(), "OpportunityHistory.csv", [{
            "Id": sfid("008", int(opp.opportunity_id[1:]) * 10 + index), "IsDeleted": False,
            "OpportunityId": opp_id, "StageName": name, "Amount": f"{opp.amount:.2f}",
            "CloseDate": at.date().isoformat() if closed else expected,
            "Probability": probability, "CreatedById": ae, "CreatedDate": _ts(at),
            "SystemModstamp": _ts(at)}])


def _mess(landing: Landing, company: Company) -> None:
    """A day whose Lead export has a new custom field, and a row the export cut short."""
    drift_from = company.config.start + timedelta(days=30)
    drifted = sorted((day, rows) for (platform, entity, day, _), rows in landing.files.items()
                     if (platform, entity) == ("salesforce", "lead") and day >= drift_from
                     and rows)
    for row in drifted[0][1] if drifted else []:  # the first day from day 30 with leads
        row["Partner_Tier__c"] = "Gold" if row.get("LeadSource") == "Partner Referral" else ""
    # cut short a version that a later one supersedes (so the truth is still recoverable):
    # the first such row from day 20 on
    lead_files = sorted((day, rows) for (platform, entity, day, _), rows in landing.files.items()
                        if (platform, entity) == ("salesforce", "lead"))
    last_seen: dict[str, date] = {}
    for day, rows in lead_files:
        for row in rows:
            last_seen[row["Id"]] = day
    for day, rows in lead_files:
        if day < company.config.start + timedelta(days=20):
            continue
        for index, row in enumerate(rows):
            later = [r for r in rows[index + 1:] if r.get("Id") == row["Id"]]
            if later or last_seen[row["Id"]] > day:
                values = [str(row.get(k, "")) for k in HEADERS["lead"]]
                rows[index] = {"__raw__": ",".join(values[:8])}
                return
