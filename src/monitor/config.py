"""Typed settings loaded from ``feeds.yaml``.

The file is parsed with PyYAML's composer so that every value keeps its line number: a validation
error names the key path *and* the line (``feeds[2].interval (line 31): ...``). Unknown keys and
duplicate keys are errors. Strings may reference environment variables as ``${VAR}``; fields that
hold secrets are :class:`pydantic.SecretStr`, so they are redacted in ``monitor config --show``
and in logs.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
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


# The longest duration any setting takes: longer ones overflowed a timedelta (issue 10).
MAX_DURATION = timedelta(days=3650)


def parse_duration(value: object) -> timedelta:
    """Read ``90``, ``"30s"``, ``"15m"``, ``"6h"``, ``"7d"`` (a bare number is seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, 6h or 7d")
    seconds: float | None = None
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        seconds = float(value)
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds is None:
        raise ValueError(f"{value!r} is not a duration; write e.g. 90s, 30m, 6h or 7d")
    if not math.isfinite(seconds) or seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"{value!r} is too long; at most {MAX_DURATION.days}d")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


def _positive(d: timedelta) -> timedelta:
    if d <= timedelta(0):
        raise ValueError("must be longer than 0s (a zero wait would spin or never finish)")
    return d


# A duration that must not be zero: timeouts, intervals, back-off.
Positive = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class FeedConfig(_Strict):
    """One RSS/Atom feed to poll."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    url: str
    interval: Positive | None = None
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

    interval: Positive = timedelta(minutes=30)
    min_interval: Positive = timedelta(minutes=5)
    max_interval: Positive = timedelta(hours=24)
    max_backoff: Positive = timedelta(hours=24)
    # How long one pass may claim new work; what did not fit is due for the next pass.
    pass_budget: Positive = timedelta(minutes=30)
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    revisit: tuple[Positive, ...] = (
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=24),
        timedelta(hours=72),
        timedelta(days=7),
    )
    report_after_failures: int = Field(default=3, ge=1, le=1_000_000)

    @field_validator("max_interval")
    @classmethod
    def _bounds(cls, v: timedelta, info: ValidationInfo) -> timedelta:
        low = info.data.get("min_interval")
        if low is not None and low > v:
            raise ValueError(f"{v} is below min_interval ({low}); swap them or widen the range")
        return v


class FetchLimits(_Strict):
    """Limits and manners of the HTTP client."""

    timeout: Positive = timedelta(seconds=20)
    # Wall-clock budget of one page in the extraction pool (extract and find facts).
    page_budget: Positive = timedelta(seconds=60)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0, le=2**31)
    max_decoded_bytes: int = Field(default=50 * 1024 * 1024, gt=0, le=2**32)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str = "monitor/0.1 (news fact monitor; +https://github.com/monitor/monitor)"
    concurrency: int = Field(default=10, ge=1, le=10_000)
    per_host_concurrency: int = Field(default=2, ge=1, le=1_000)
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
    timeout: Positive = timedelta(seconds=20)

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
    timeout: Positive = timedelta(seconds=10)

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
    max_attempts: int = Field(default=8, ge=1, le=10_000)
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
    # The address clients use (e.g. https://monitor.example.org): the Atom feed's own links.
    public_url: str | None = None
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
        self.seen: set[int] = set()
        self.aliased = 0
        self.alias_values = 0

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.lines:
                return self.lines[loc[:n]]
        return None


def _construct(
    node: yaml.Node, path: tuple[str | int, ...], where: _Located, env: Mapping[str, str]
) -> Any:
    where.lines[path] = node.start_mark.line + 1
    if where.aliased:
        # A few lines of nested aliases expand to billions of values ("billion laughs").
        where.alias_values += 1
        if where.alias_values > MAX_ALIAS_VALUES:
            raise ConfigError(
                f"{_fmt(path)} (line {node.start_mark.line + 1}): YAML aliases (*name) expand "
                f"to more than {MAX_ALIAS_VALUES} values; write the values out"
            )
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # The composer hands an alias back as the node it names: a node seen twice is an alias.
        if id(node) in where.seen:
            where.aliased += 1
            try:
                where.seen.discard(id(node))
                return _construct(node, path, where, env)
            finally:
                where.seen.add(id(node))
                where.aliased -= 1
        where.seen.add(id(node))
        if len(path) > MAX_DEPTH:
            raise ConfigError(
                f"{_fmt(path[:MAX_DEPTH])} (line {node.start_mark.line + 1}): nested more than "
                f"{MAX_DEPTH} levels deep; no setting is"
            )
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
    except RecursionError as exc:
        raise ConfigError(
            f"{source}: nested too deeply to read (more than {MAX_DEPTH} levels); no setting is"
        ) from exc
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
    problems = where.problems + _duplicates(data, where) + _phrase_problems(data, where)
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


MAX_DEPTH = 20
MAX_ALIAS_VALUES = 10_000
_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
# A repeat allowing more than this many rounds counts as unbounded.
_MANY = 10


def _phrase_problems(data: dict[str, Any], where: _Located) -> list[str]:
    """Phrases of facts that would match everywhere or take exponential time, and ``{NAME}``
    word lists used by a fact that defines none (checked on the raw file, with lines)."""
    problems: list[str] = []
    facts = data.get("facts")
    if not isinstance(facts, list):
        return problems

    def walk(value: Any, path: tuple[str | int, ...], words: bool) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k), words)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, (*path, i), words)
        elif isinstance(value, str):
            problem = _phrase_problem(value, words)
            if problem:
                line = where.line_of(path)
                problems.append(f"  {_fmt(path)}{f' (line {line})' if line else ''}: {problem}")

    for i, fact in enumerate(facts):
        if isinstance(fact, dict):
            walk(fact, ("facts", i), isinstance(fact.get("words"), dict))
    return problems


def _phrase_problem(phrase: str, words: bool) -> str | None:
    names = _PLACEHOLDER.findall(phrase)
    if names and not words:
        return (
            f"uses {{{names[0]}}} but the fact has no `words:` section; define {names[0]}: "
            "[its phrases] under `words:`"
        )
    if not phrase.startswith("re:"):
        return None
    body = _PLACEHOLDER.sub("x", phrase[3:])
    if not body.strip():
        return "empty `re:` phrase: it would match everywhere; write a pattern or remove it"
    nested = _nested_quantifier(body)
    if nested:
        return (
            f"{phrase!r} repeats a repeat ({nested}): on some texts it takes exponential time "
            "(catastrophic backtracking); bound the outer repeat, e.g. {0,4}, or drop the inner"
        )
    return None


def _nested_quantifier(source: str) -> str | None:
    """A repeat of more than a few rounds around another open-ended repeat (``(a+)+``), as
    ``re`` would backtrack through it; None when there is none (or the pattern does not
    compile: that is reported by the fact's own check)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]

    try:
        tree = parser.parse(source)
    except (re.error, RecursionError, OverflowError):
        return None
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT)

    def walk(items: Any, outer: bool) -> str | None:
        for op, av in items:
            subs: list[Any] = []
            inner_outer = outer
            if op in repeats:
                _lo, hi, sub = av
                many = hi is c.MAXREPEAT or hi > _MANY
                if outer and many:
                    return "a group with + or * or {n,} inside another"
                inner_outer = outer or many
                subs = [sub]
            elif op is c.SUBPATTERN:
                subs = [av[3]]
            elif op is c.BRANCH:
                subs = list(av[1])
            elif op in (c.ASSERT, c.ASSERT_NOT):
                subs = [av[1]]
            for sub in subs:
                found = walk(sub, inner_outer)
                if found:
                    return found
        return None

    return walk(tree, False)


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
    """The settings as plain data with every secret replaced by ``'**********'``: secret
    fields, and in every URL (``database_url``, feeds, webhooks) the password or user-info
    and token-like query parameters."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    return _redact(data)  # type: ignore[no-any-return]


_SECRET = "**********"
_SECRET_PARAM = re.compile(
    r"(?:^|[_-])(?:token|key|secret|password|passwd|pwd|sig|signature|auth|code|session|"
    r"credentials?)$|^(?:apikey|api_key|access_token|client_secret|x-amz-\w+)$",
    re.I,
)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    return value


def redact_url(url: str) -> str:
    """``url`` with its user-info's password (or a lone user-info, often a token) and the
    values of token-like query parameters replaced by ``**********``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{_SECRET}@{host}" if sep else f"{_SECRET}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(k, _SECRET if _SECRET_PARAM.search(k) else v) for k, v in pairs], safe="*"
        )
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
