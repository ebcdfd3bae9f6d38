"""GA4 BigQuery export rows as the JSON export writes them, built from the documented export
schema (https://support.google.com/analytics/answer/7029846), not from the simulator: INT64
values as JSON strings, FLOAT as numbers, records as objects, repeated records as arrays,
event_params with every value field. Used by tests/test_ga4_exports.py (three vintages) and
tests/test_source_subsets.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

OWN = "https://www.acme-analytics.example"


STREAM = "2100450278"


# privacy_info answers "Yes"/"No" (a named value: the field name says token, no secret)
ANSWER_NO = "No"


def _param(key: str, value) -> dict:
    """One event_params entry as the JSON export writes it: every value field present."""
    cell = {"string_value": None, "int_value": None, "float_value": None, "double_value": None}
    if isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        cell["int_value"] = str(value)  # INT64 as a JSON string
    elif isinstance(value, float):
        cell["double_value"] = value
    else:
        cell["string_value"] = value
    return {"key": key, "value": cell}


def _event(day: date, seconds: int, name: str, user: str, session: int, params: dict,
           vintage: int, **fields) -> dict:
    timestamp = int(datetime(day.year, day.month, day.day, 10, tzinfo=UTC).timestamp()
                    * 1_000_000) + seconds * 1_000_000
    row = {
        "event_date": day.strftime("%Y%m%d"),
        "event_timestamp": str(timestamp),
        "event_name": name,
        "event_params": [_param("ga_session_id", session), _param("ga_session_number", 1),
                         _param("engaged_session_event", 1)]
        + [_param(key, value) for key, value in params.items()],
        "event_previous_timestamp": None,
        "event_value_in_usd": fields.pop("event_value_in_usd", None),
        "event_bundle_sequence_id": str(1_000_000 + seconds),
        "event_server_timestamp_offset": "512",
        "user_id": None,
        "user_pseudo_id": user,
        "privacy_info": {"analytics_storage": None, "ads_storage": None,
                         "uses_transient_token": ANSWER_NO},
        "user_properties": [],
        "user_first_touch_timestamp": str(timestamp - 86_400_000_000),
        "user_ltv": {"revenue": 0.0, "currency": "USD"},
        "device": {"category": "desktop", "mobile_brand_name": "Google",
                   "mobile_model_name": "Chrome", "mobile_marketing_name": None,
                   "mobile_os_hardware_model": None, "operating_system": "Windows",
                   "operating_system_version": "Windows 10", "vendor_id": None,
                   "advertising_id": None, "language": "en-us",
                   "is_limited_ad_tracking": "No", "time_zone_offset_seconds": None,
                   "browser": None, "browser_version": None,
                   "web_info": {"browser": "Chrome", "browser_version": "86.0.4240.111",
                                "hostname": "www.acme-analytics.example"}},
        "geo": {"continent": "Americas", "country": "United States", "region": "California",
                "city": "San Jose", "sub_continent": "Northern America", "metro": "(not set)"},
        "app_info": None,
        "traffic_source": fields.pop("traffic_source",
                                     {"name": "(direct)", "medium": "(none)",
                                      "source": "(direct)"}),
        "stream_id": STREAM,
        "platform": "WEB",
        "event_dimensions": None,
        "ecommerce": fields.pop("ecommerce", {
            "total_item_quantity": None, "purchase_revenue_in_usd": None,
            "purchase_revenue": None, "refund_value_in_usd": None, "refund_value": None,
            "shipping_value_in_usd": None, "shipping_value": None, "tax_value_in_usd": None,
            "tax_value": None, "unique_items": None, "transaction_id": None}),
        "items": fields.pop("items", []),
    }
    if vintage >= 2023:
        row["collected_traffic_source"] = fields.pop("collected_traffic_source", None)
        row["is_active_user"] = True
        row["batch_event_index"] = str(seconds)
        row["batch_page_id"] = str(timestamp // 1000)
        row["batch_ordering_id"] = "1"
    if vintage >= 2024:
        row["session_traffic_source_last_click"] = fields.pop("last_click")
        row["publisher"] = None
    assert not fields, fields
    return row


def _purchase(revenue: float, transaction: str) -> dict:
    return {"total_item_quantity": "1", "purchase_revenue_in_usd": revenue,
            "purchase_revenue": revenue, "refund_value_in_usd": None, "refund_value": None,
            "shipping_value_in_usd": 0.0, "shipping_value": 0.0, "tax_value_in_usd": 0.0,
            "tax_value": 0.0, "unique_items": "1", "transaction_id": transaction}


ITEM = {"item_id": "PLAN-PRO", "item_name": "Pro plan", "item_brand": None,
        "item_variant": None, "item_category": "plans", "price_in_usd": 120.5, "price": 120.5,
        "quantity": "1", "item_revenue_in_usd": 120.5, "item_revenue": 120.5,
        "item_refund_in_usd": None, "item_refund": None, "coupon": None, "affiliation": None,
        "location_id": None, "item_list_id": None, "item_list_name": None,
        "item_list_index": None, "promotion_id": None, "promotion_name": None,
        "creative_name": None, "creative_slot": None}


def _collected(source=None, medium=None, campaign=None, gclid=None, dclid=None) -> dict:
    return {"manual_campaign_id": None, "manual_campaign_name": campaign,
            "manual_source": source, "manual_medium": medium, "manual_term": None,
            "manual_content": None, "gclid": gclid, "dclid": dclid, "srsltid": None}


def _last_click(source: str, medium: str, campaign: str, google_ads: bool = False) -> dict:
    manual = {"campaign_id": None, "campaign_name": campaign, "source": source,
              "medium": medium, "term": None, "content": None, "source_platform": None,
              "creative_format": None, "marketing_tactic": None}
    cross = {"campaign_id": None, "campaign_name": campaign, "source": source,
             "medium": medium, "source_platform": "Manual",
             "default_channel_group": None, "primary_channel_group": None}
    ads = {"customer_id": "1234567890", "account_name": "Acme", "campaign_id": "987",
           "campaign_name": campaign, "ad_group_id": "654", "ad_group_name": "exact"} \
        if google_ads else None
    return {"manual_campaign": manual, "google_ads_campaign": ads,
            "cross_channel_campaign": cross, "sa360_campaign": None, "cm360_campaign": None,
            "dv360_campaign": None}
