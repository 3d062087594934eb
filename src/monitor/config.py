"""Typed settings loaded from ``feeds.yaml``.

The file is parsed with PyYAML's composer so that every value keeps its line number: a validation
error names the key path *and* the line (``feeds[2].interval (line 31): ...``). Unknown keys and
duplicate keys are errors. Strings may reference environment variables as ``${VAR}``; fields that
hold secrets are :class:`pydantic.SecretStr`, so they are redacted in ``monitor config --show``
and in logs.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.display import zone
from monitor.errors import ConfigError
from monitor.facts.spec import FactSpec

ENV_DATABASE_URL = "MONITOR_DATABASE_URL"
ENV_API_TOKENS = "MONITOR_API_TOKENS"
DEFAULT_DATABASE_URL = "sqlite:///db/monitor.sqlite"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, None: 1}
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def parse_duration(value: object) -> timedelta:
    """Read ``90``, ``"30s"``, ``"15m"``, ``"6h"``, ``"7d"`` (a bare number is seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 6h or 7d")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])
    raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 30m, 6h or 7d")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeedConfig(_Strict):
    """One RSS/Atom feed to poll."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url: str
    interval: Duration | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()
    outlet: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v


class Defaults(_Strict):
    """Scheduling defaults shared by all feeds."""

    interval: Duration = timedelta(minutes=30)
    min_interval: Duration = timedelta(minutes=5)
    max_interval: Duration = timedelta(hours=24)
    max_backoff: Duration = timedelta(hours=24)
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    revisit: tuple[Duration, ...] = (
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=24),
        timedelta(hours=72),
        timedelta(days=7),
    )
    report_after_failures: int = Field(default=3, ge=1)


class FetchLimits(_Strict):
    """Limits and manners of the HTTP client."""

    timeout: Duration = timedelta(seconds=20)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_decoded_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "monitor/0.1 (news fact monitor; +https://github.com/monitor/monitor)"
    concurrency: int = Field(default=10, ge=1)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_delay: Duration = timedelta(seconds=1)
    respect_robots: bool = True
    allow_networks: tuple[str, ...] = ()

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                raise ValueError(f"{net!r} is not a network; write e.g. 10.0.0.0/8") from exc
        return v


_CHANNEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class EmailChannel(_Strict):
    """Alerts by email over SMTP (``security``: STARTTLS, implicit TLS, or none)."""

    kind: Literal["email"]
    name: str = Field(min_length=1, pattern=_CHANNEL_NAME)
    host: str
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    to: tuple[str, ...] = Field(min_length=1)
    timeout: Duration = timedelta(seconds=20)

    @field_validator("sender", "to")
    @classmethod
    def _addresses(cls, v: str | tuple[str, ...]) -> str | tuple[str, ...]:
        for address in (v,) if isinstance(v, str) else v:
            if not re.match(r"^[^@\s<>]+@[^@\s<>]+$", address):
                raise ValueError(f"{address!r} is not an email address; write e.g. ops@example.org")
        return v


class WebhookChannel(_Strict):
    """Alerts as signed JSON POSTs."""

    kind: Literal["webhook"]
    name: str = Field(min_length=1, pattern=_CHANNEL_NAME)
    url: str
    secret: SecretStr
    timeout: Duration = timedelta(seconds=10)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not re.match(r"^https?://[^/\s]+", v):
            raise ValueError(
                f"{v!r} is not an http(s) URL; write e.g. https://hooks.example/monitor"
            )
        return v


Channel = Annotated[EmailChannel | WebhookChannel, Field(discriminator="kind")]


class AlertRule(_Strict):
    """Which fact changes go to which channels (see ``monitor.alerts.rules``).

    ``min_severity``: ``change`` (what the change stage judged alert-worthy), ``conflict`` (also
    disputes) or ``info`` (every recorded decision). ``min_delta``/``min_delta_rel``: a numeric
    change smaller than this (absolute / relative) does not fire. ``digest``: hold matching
    alerts this long and send them as one message.
    """

    facts: tuple[str, ...] = Field(default=("*",), min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    min_severity: Literal["info", "change", "conflict"] = "change"
    include_first: bool = True
    include_refinements: bool = False
    min_delta: float = Field(default=0, ge=0)
    min_delta_rel: float = Field(default=0, ge=0)
    digest: Duration = timedelta(0)


class AlertsConfig(_Strict):
    """Alert channels, rules and delivery policy."""

    channels: tuple[Channel, ...] = ()
    rules: tuple[AlertRule, ...] = ()
    max_attempts: int = Field(default=8, ge=1)
    min_backoff: Duration = timedelta(seconds=30)
    max_backoff: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _known_channels(self) -> AlertsConfig:
        if self.min_backoff < timedelta(seconds=1) or self.max_backoff < self.min_backoff:
            raise ValueError(
                "min_backoff must be at least 1s and max_backoff at least min_backoff "
                f"(got {self.min_backoff} and {self.max_backoff})"
            )
        names = [c.name for c in self.channels]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"channel names must be unique; rename {sorted(dupes)}")
        for i, rule in enumerate(self.rules):
            for ch in rule.channels:
                if ch not in names:
                    raise ValueError(
                        f"rules[{i}] names channel {ch!r}, which is not defined under "
                        f"alerts.channels (defined: {names or 'none'})"
                    )
        return self


class HistoryConfig(_Strict):
    """How observations become a fact history (see ``monitor.changes``)."""

    min_sources: int = Field(default=2, ge=1)
    conflict_window: Duration = timedelta(hours=12)
    settled_sources: int = Field(default=2, ge=1)
    settled_window: Duration = timedelta(days=14)
    near_duplicate: float = Field(default=0.9, gt=0, le=1)
    material_abs: float = Field(default=0, ge=0)
    material_rel: float = Field(default=0, ge=0)


class ApiConfig(_Strict):
    """The read-only HTTP API."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    tokens: tuple[SecretStr, ...] = ()
    serve_with_run: bool = False
    # How long a sign-in on the web pages lasts before the session cookie expires.
    session_lifetime: Duration = timedelta(hours=12)


class DisplayConfig(_Strict):
    """How times are shown to people (pages, tables, emails); JSON always carries the offset."""

    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        zone(v)
        return v


class Settings(_Strict):
    """Everything ``feeds.yaml`` configures."""

    database_url: str = DEFAULT_DATABASE_URL
    defaults: Defaults = Defaults()
    fetch: FetchLimits = FetchLimits()
    feeds: tuple[FeedConfig, ...] = ()
    facts: tuple[FactSpec, ...] = ()
    history: HistoryConfig = HistoryConfig()
    alerts: AlertsConfig = AlertsConfig()
    api: ApiConfig = ApiConfig()
    display: DisplayConfig = DisplayConfig()

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        for what, names in (
            ("feeds", [f.name for f in self.feeds]),
            ("feed urls", [f.url for f in self.feeds]),
            ("facts", [f.id for f in self.facts]),
        ):
            dupes = sorted(n for n, k in Counter(names).items() if k > 1)
            if dupes:
                raise ValueError(f"duplicate {what}: {dupes}; each must appear once")
        return self

    def feed_interval(self, feed: FeedConfig) -> timedelta:
        """The configured polling interval of a feed (its own, else the default)."""
        return feed.interval or self.defaults.interval

    @cached_property
    def feeds_by_name(self) -> dict[str, FeedConfig]:
        """The configured feeds by name (a dict: a pass looks up thousands of them)."""
        return {f.name: f for f in self.feeds}

    def interval_of(self, name: str) -> timedelta:
        """The polling interval of the feed called ``name`` (the default if it is unknown)."""
        feed = self.feeds_by_name.get(name)
        return self.defaults.interval if feed is None else self.feed_interval(feed)


# --- loading -----------------------------------------------------------------------------------


class _Located:
    """Maps key paths of the YAML document to line numbers, and gathers problems found while
    reading it (so that every problem of a file is reported at once)."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str | int, ...], int] = {}
        self.problems: list[str] = []

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None


def _construct(
    node: yaml.Node, path: tuple[str | int, ...], where: _Located, env: Mapping[str, str]
) -> Any:
    where.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            if key in out:
                raise ConfigError(
                    f"{_fmt((*path, key))} (line {key_node.start_mark.line + 1}): duplicate key; "
                    f"it is already set on line {where.lines[(*path, key)]}"
                )
            out[key] = _construct(value_node, (*path, key), where, env)
            where.lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, (*path, i), where, env) for i, v in enumerate(node.value)]
    value = _scalar(node)
    if isinstance(value, str) and "${" in value:
        value = _expand(value, path, node.start_mark.line + 1, env, where)
    return value


def _scalar(node: yaml.Node) -> Any:
    # The composer has already resolved the node's tag: construct it directly (serialising each
    # scalar back to YAML and parsing it again cost seconds at 10,000 feeds).
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _expand(
    value: str, path: tuple[str | int, ...], line: int, env: Mapping[str, str], where: _Located
) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            where.problems.append(
                f"  {_fmt(path)} (line {line}): environment variable {name} is not set; "
                f"export it or remove the reference"
            )
            return ""
        return env[name]

    return _ENV_REF.sub(repl, value)


def _fmt(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_settings(
    text: str, *, source: str = "feeds.yaml", env: Mapping[str, str] | None = None
) -> Settings:
    """Validate the text of a configuration file into :class:`Settings`.

    ``MONITOR_DATABASE_URL`` in ``env`` overrides ``database_url``; ``MONITOR_API_TOKENS``
    (comma-separated) overrides ``api.tokens``.
    """
    env = os.environ if env is None else env
    where = _Located()
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    data = {} if root is None else _construct(root, (), where, env)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of settings")
    if env.get(ENV_DATABASE_URL):
        data["database_url"] = env[ENV_DATABASE_URL]
    if env.get(ENV_API_TOKENS):
        # Deployments (compose, systemd) hand the API its tokens without editing feeds.yaml.
        api = data.setdefault("api", {})
        if isinstance(api, dict):
            api["tokens"] = [t.strip() for t in env[ENV_API_TOKENS].split(",") if t.strip()]
    problems = where.problems + _duplicates(data, where)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
            # pydantic prefixes the messages of our own checks ("Value error, ..."): drop it.
            msg = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
            if err["type"] == "extra_forbidden":
                msg = "unknown key; check its spelling against README's configuration section"
            if not loc and msg.startswith("duplicate ") and problems:
                continue  # already reported at the duplicate's own line
            line = where.line_of(loc)
            at = f" (line {line})" if line else ""
            problems.append(f"  {_fmt(loc)}{at}: {msg}")
    else:
        if not problems:
            return settings
    raise ConfigError(f"{source}: {len(problems)} problem(s):\n" + "\n".join(problems))


def _duplicates(data: dict[str, Any], where: _Located) -> list[str]:
    """Feed names, feed URLs and fact ids used twice, each reported at its own line."""
    problems = []
    for section, key, what in (
        ("feeds", "name", "feed name"),
        ("feeds", "url", "feed URL"),
        ("facts", "id", "fact id"),
    ):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        first: dict[str, int] = {}
        for i, item in enumerate(items):
            value = item.get(key) if isinstance(item, dict) else None
            if not isinstance(value, str):
                continue
            if value in first:
                j = first[value]
                line, earlier = where.line_of((section, i, key)), where.line_of((section, j, key))
                problems.append(
                    f"  {section}[{i}].{key} (line {line}): duplicate {what} {value!r}; "
                    f"{section}[{j}] (line {earlier}) already uses it: each must appear once"
                )
            else:
                first[value] = i
    return problems


_UNION_TAGS = {"email", "webhook", "count", "quantity", "terms"}


def load_settings(path: str | Path, *, env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate a configuration file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: no such file; pass --config PATH or create feeds.yaml") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from exc
    return parse_settings(text, source=str(p), env=env)


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as plain data with every secret replaced by ``'**********'``."""
    return settings.model_dump(mode="json")
