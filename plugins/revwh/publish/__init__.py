"""Audited marts into the BI-facing schema in one transaction, and checksums of what was
published."""
