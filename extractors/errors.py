"""The project's small exception tree.

Third-party errors are converted to these at the adapter that meets them, so
callers catch one family and messages stay readable.
"""


class NewswatchError(Exception):
    """Base of every error newswatch raises on purpose."""


class ConfigError(NewswatchError):
    """A settings value, feed list or gazetteer is missing or malformed."""


class ExtractionError(NewswatchError):
    """A page or text could not be turned into an article."""


class FetchError(NewswatchError):
    """A feed or page could not be fetched (network, HTTP status, policy)."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, reason: str = "error",
                 retry_after: float = 0.0):
        super().__init__(message)
        self.url = url
        self.status = status
        self.retry_after = retry_after  # seconds a 429/503 asked us to wait (0: none said)
        # A short machine-readable cause: "dns", "timeout", "http", "too-big",
        # "not-html", "private-address", "robots", "redirects", "error".
        self.reason = reason


class RunStopping(NewswatchError):
    """The run is being stopped (SIGTERM, Ctrl-C) and closed what this work needed: the work ends
    without committing, and the next run does it (its pages were never marked seen)."""


class StoreError(NewswatchError):
    """The object store failed or refused an operation."""


class NotFound(StoreError):
    """The key does not exist in the store."""


class Unreadable(StoreError):
    """An object is there but cannot be read: damaged JSON, or a record of a shape we do not know."""


class Conflict(StoreError):
    """A conditional write lost: the object changed (or exists) already."""
