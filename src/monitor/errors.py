"""The exception tree of monitor.

Every error the library raises on purpose is a :class:`MonitorError`; third-party exceptions are
translated at the boundary of the stage that met them (``raise FetchError(...) from exc``), and the
message names the component and the object, so a log line alone says what to do next::

    MonitorError
    ├── ConfigError          feeds.yaml is unreadable or invalid (names the key and line)
    ├── FetchError           a URL could not be fetched
    │   ├── BlockedURLError  the URL (or a redirect hop) resolves to a forbidden network
    │   ├── TooLargeError    the body, raw or decoded, exceeded the configured cap
    │   ├── HTTPStatusError  the server answered with an error status (keeps status, Retry-After)
    │   ├── RobotsDeniedError robots.txt forbids the page for our User-Agent
    │   └── NetworkError     DNS, connection, TLS or timeout failure (temporary)
    ├── ParseError           a fetched feed is not a usable feed
    ├── ExtractError         no article text could be extracted from a page
    ├── StoreError           the database is unreachable, read-only, full or out of date
    ├── AlertError           an alert could not be delivered (temporary unless ``permanent``)
    └── UnexpectedError      any other exception while handling one feed, page or alert: kept
                             on that row (kind ``internal``), never a stopped service
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error raised by monitor on purpose."""


class ConfigError(MonitorError):
    """The configuration file is missing, unreadable or invalid."""


class FetchError(MonitorError):
    """A URL could not be fetched. ``temporary`` says whether a retry may succeed."""

    kind = "fetch"
    temporary = True

    def __init__(self, message: str, *, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class BlockedURLError(FetchError):
    """The URL's host resolves to an address the fetch policy forbids."""

    kind = "blocked"
    temporary = False


class TooLargeError(FetchError):
    """The response body exceeded the configured size cap."""

    kind = "too_large"
    temporary = False


class HTTPStatusError(FetchError):
    """The server answered with a 4xx/5xx status."""

    kind = "http_status"

    def __init__(
        self, message: str, *, url: str = "", status: int = 0, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after
        self.temporary = status in (408, 425, 429) or status >= 500


class RobotsDeniedError(FetchError):
    """robots.txt forbids fetching this page."""

    kind = "robots"
    temporary = False


class NetworkError(FetchError):
    """DNS, connection, TLS or timeout failure."""

    kind = "network"


class ParseError(MonitorError):
    """A fetched document is not a usable feed."""

    kind = "parse"


class ExtractError(MonitorError):
    """No article text could be extracted."""

    kind = "extract"


class StoreError(MonitorError):
    """The database is unreachable or not migrated."""


class AlertError(MonitorError):
    """An alert could not be delivered."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


class UnexpectedError(MonitorError):
    """An exception nobody expected while handling one unit of work (a feed, a page, an alert).

    It is recorded on that unit's row like any other error and the unit backs off; the rest of
    the pass goes on. Its message names the stage and the original exception.
    """

    kind = "internal"
    temporary = True

    def __init__(self, stage: str, exc: BaseException) -> None:
        detail = str(exc)[:500]
        super().__init__(f"{stage}: unexpected {type(exc).__name__}: {detail}; please report it")
        self.stage = stage
