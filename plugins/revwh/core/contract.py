"""The lead definition contract (contracts/lead_definition.yml): loaded, checked, and handed to
dbt (as the var ``lead_definition``) and to the quality checks. See the file for its terms."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any

import yaml

from revwh.core.config import PROJECT_ROOT
from revwh.core.errors import WarehouseError

STAGE_ORDER = ("inquiry", "mql", "sal", "sql", "opportunity", "customer")
CRM_TARGETS = {"lifecyclestage": (*STAGE_ORDER, "disqualified"),
               "lead_status": (*STAGE_ORDER, "disqualified"),
               "lead_stages": (*STAGE_ORDER, "disqualified"),
               "deal_stages": ("open", "won", "lost"),
               "opportunity_stages": ("open", "won", "lost")}


class ContractError(WarehouseError):
    """The contract file is not what the warehouse can apply; the message names the key."""


def contract_path() -> Path:
    return Path(os.environ.get("LEAD_DEFINITION_FILE")
                or PROJECT_ROOT / "contracts" / "lead_definition.yml")


@functools.cache
def _load(path: Path, mtime: float) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ContractError(f"{path}: cannot be read as YAML: {err}") from err
    _check(document, path)
    return document


def load() -> dict[str, Any]:
    path = contract_path()
    if not path.exists():
        raise ContractError(f"the lead definition contract {path} does not exist")
    return _load(path, path.stat().st_mtime)


def _check(doc: Any, path: Path) -> None:
    def fail(key: str, message: str) -> None:
        raise ContractError(f"{path}: {key}: {message}")

    if not isinstance(doc, dict):
        fail("(top)", "expected a mapping")
    for key in ("version", "stages", "mql", "follow_up_sla_hours", "crm", "channels",
                "exclusions", "identity", "reporting", "campaigns"):
        if key not in doc:
            fail(key, "is missing")
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(doc["version"])):
        fail("version", f"{doc['version']!r} is not a semantic version such as 1.2.0")
    keys = tuple(stage.get("key") for stage in doc["stages"])
    if keys != STAGE_ORDER:
        fail("stages", f"must be {', '.join(STAGE_ORDER)} in this order (got {keys})")
    currency = (doc["reporting"] or {}).get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        fail("reporting.currency", f"{currency!r} is not an ISO 4217 code such as EUR")
    label = (doc["campaigns"] or {}).get("no_campaign_label")
    if not isinstance(label, str) or not label.strip():
        fail("campaigns.no_campaign_label", "must be a non-empty label")
    if not (doc["campaigns"] or {}).get("linkedin_campaign_separator"):
        fail("campaigns.linkedin_campaign_separator", "must be a non-empty separator")
    threshold = doc["mql"].get("score_threshold")
    if not isinstance(threshold, int) or not 0 <= threshold <= 100:
        fail("mql.score_threshold", f"{threshold!r} is not a score from 0 to 100")
    if not isinstance(doc["follow_up_sla_hours"], int | float) or doc["follow_up_sla_hours"] <= 0:
        fail("follow_up_sla_hours", "must be a positive number of hours")
    for crm, mappings in doc["crm"].items():
        for field, allowed in CRM_TARGETS.items():
            for value, target in (mappings.get(field) or {}).items():
                if target not in allowed:
                    fail(f"crm.{crm}.{field}[{value!r}]",
                         f"{target!r} is not one of {', '.join(allowed)}")
    channels = [c.get("key") for c in doc["channels"]]
    if len(set(channels)) != len(channels) or not all(channels):
        fail("channels", "every channel needs a key, and keys must be unique")
    for answer, agreeing in (doc.get("self_reported_sources") or {}).items():
        for channel in agreeing or []:
            if channel not in channels:
                fail(f"self_reported_sources[{answer!r}]",
                     f"{channel!r} is not a channel of the taxonomy")
    for crm, mappings in doc["crm"].items():
        for value, channel in (mappings.get("lead_source_channels") or {}).items():
            if channel not in channels:
                fail(f"crm.{crm}.lead_source_channels[{value!r}]",
                     f"{channel!r} is not a channel of the taxonomy")
    web = doc.get("web") or {}
    if not isinstance(web, dict):
        fail("web", "expected a mapping (own_domains, conversions, currency)")
    for domain in web.get("own_domains") or []:
        if not isinstance(domain, str) or not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
            fail("web.own_domains", f"{domain!r} is not a lower-case domain such as example.com")
    property_currency = web.get("currency")
    if property_currency is not None and not (
            isinstance(property_currency, str) and re.fullmatch(r"[A-Z]{3}", property_currency)):
        fail("web.currency", f"{property_currency!r} is not an ISO 4217 code such as EUR")
    events = [c.get("event") if isinstance(c, dict) else None
              for c in web.get("conversions") or []]
    if not all(isinstance(e, str) and e for e in events) or len(set(events)) != len(events):
        fail("web.conversions", "every conversion needs an `event` name, each event once")
    fallback = doc["identity"].get("fallback")
    if fallback not in (None, "crm_record_id"):
        fail("identity.fallback", f"{fallback!r} is not crm_record_id (or absent: records "
             "without an email are then excluded as 'no email')")
    for pattern in doc["exclusions"].get("test_email_patterns", []):
        try:
            re.compile(pattern)
        except re.error as err:
            fail("exclusions.test_email_patterns", f"{pattern!r}: {err}")


def version() -> str:
    return str(load()["version"])


def reporting_currency() -> str:
    """The one reporting currency (``reporting.currency``) dbt and the gate both read."""
    return str(load()["reporting"]["currency"])


def no_campaign_label() -> str:
    """What every mart calls a row without a campaign (``campaigns.no_campaign_label``)."""
    return str(load()["campaigns"]["no_campaign_label"])


def channels() -> list[str]:
    return [channel["key"] for channel in load()["channels"]]


def web() -> dict[str, Any]:
    """The website's own domains, conversion events and GA4 property currency (the contract's
    optional ``web``; the currency defaults to the reporting currency)."""
    section = load().get("web") or {}
    return {"own_domains": list(section.get("own_domains") or []),
            "conversions": list(section.get("conversions") or []),
            "currency": str(section.get("currency") or reporting_currency())}


def dbt_vars() -> dict[str, Any]:
    """The dbt vars the models read: the contract itself."""
    return {"lead_definition": load()}
