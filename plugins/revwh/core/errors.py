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


class PullFailed(WarehouseError):
    """An API pull failed: names the platform, the endpoint, the status and the day. Nothing of
    the pull was landed, so the run loads and publishes nothing of it."""

    def __init__(self, platform: str, endpoint: str, status: object, day: object = None,
                 detail: str = "") -> None:
        self.platform, self.endpoint, self.status, self.day = platform, endpoint, status, day
        where = f" for {day}" if day else ""
        super().__init__(f"{platform}: {endpoint}{where} failed with status {status}"
                         + (f": {detail}" if detail else ""))
