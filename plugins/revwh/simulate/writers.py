"""Render the simulated company as each platform delivers it: one file per source and day.

Layout: ``<platform>/<entity>/dt=YYYY-MM-DD/<file>`` (see revwh.core.sources). A later pull of a
day that the platform restated lands beside the first as ``<stem>__vYYYYMMDD.<ext>``. The
truth lands in ``_truth/``. With ``SimConfig.mess`` the extracts carry what real ones do:
restatements, late events, bot sessions, duplicate people, test/internal/spam leads, merges and
deletions, a day with an added column, malformed rows and an empty day.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from revwh.simulate import crm_csv, crm_hubspot, crm_salesforce
from revwh.simulate.ads import write_google_ads, write_linkedin_ads, write_meta_ads
from revwh.simulate.company import Company
from revwh.simulate.fx import FxRates
from revwh.simulate.landing import Landing
from revwh.simulate.truth import write_truth
from revwh.simulate.web import write_ga4


def write_extracts(company: Company, landing_root: Path, crm: str = "both") -> dict[str, int]:
    """Write every source's extracts and the truth; return the rows written per platform.

    crm: "both" (HubSpot and Salesforce), "hubspot", "salesforce", "csv_crm" (a CSV export
    with its mapping, csv_crm/mapping.yml) or "all" (the three)."""
    fx = FxRates(company.config.seed, company.config.start - timedelta(days=10),
                 company.config.end)
    landing = Landing(landing_root, company)
    write_google_ads(landing, company)
    write_meta_ads(landing, company)
    write_linkedin_ads(landing, company, fx)
    write_ga4(landing, company)
    if crm in ("both", "all", "hubspot"):
        crm_hubspot.write(landing, company)
    if crm in ("both", "all", "salesforce"):
        crm_salesforce.write(landing, company)
    if crm in ("all", "csv_crm"):
        crm_csv.write(landing, company)
    fx.write(landing)
    counts = landing.write()
    write_truth(landing_root / "_truth", company, fx)
    return dict(counts)
