"""Errors that name what went wrong and where, so the task log says what to fix."""


class WarehouseError(Exception):
    """Base class of the project's own errors."""


class ExtractMissing(WarehouseError):
    """A day's extract is not where it should be, or cannot be read."""


class LoadRejected(WarehouseError):
    """A file could not be loaded (unreadable, wrong shape, too many bad rows)."""


class AuditFailed(WarehouseError):
    """The audit of the marts found rows that break the agreed rules; nothing was published."""


class BeforeFirstDay(WarehouseError):
    """A run for a day before the DAG's first day (REVWH_START_DATE): it would load nothing."""
