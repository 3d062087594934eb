"""``monitor backtest DIR``: replay a folder of articles into a throwaway database.

The folder holds the article files (``ID.txt`` or ``ID.html``, directly or under ``articles/``)
and a manifest (``manifest.yaml``, ``gold.yaml`` or ``manifest.json``): a list of
``{id, published, source, title}``. Articles are replayed in publication order through the same
fact and change stages as the live pipeline; undated ones come last and can confirm a value or
raise a conflict, never make a change. Users tune their fact definitions this way.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.config import Settings
from monitor.display import value_text
from monitor.errors import ConfigError, MonitorError
from monitor.extract import Extracted, extract_article
from monitor.facts import find_facts
from monitor.history import decode, record_observations
from monitor.models import Alert, Article, Change, FactVersion
from monitor.store import create_db_engine, migrate, session_scope
from monitor.store.articles import save_observations, save_version

MANIFESTS = ("manifest.yaml", "manifest.yml", "gold.yaml", "manifest.json")
SUFFIXES = (".txt", ".html", ".htm")
UNDATED_CLOCK = datetime(9999, 1, 1, tzinfo=UTC)
MANIFEST_HELP = "a list of {id, published, source, title} entries"


@dataclass(frozen=True)
class Item:
    """One article of a backtest folder."""

    id: str
    path: Path
    published: datetime | None
    outlet: str | None
    title: str | None


@dataclass
class Result:
    """What a backtest found: the decisions in replay order and the facts at the end."""

    articles: int
    events: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)


def load_folder(folder: Path) -> list[Item]:
    """Read the manifest and locate each article file; errors say what is wrong and where."""
    if not folder.is_dir():
        raise ConfigError(f"backtest: {folder} is not a folder; pass the folder of articles")
    manifest = next((folder / m for m in MANIFESTS if (folder / m).is_file()), None)
    if manifest is None:
        raise ConfigError(
            f"backtest: {folder} has no manifest; add {MANIFESTS[0]} ({MANIFEST_HELP})"
        )
    try:
        text = manifest.read_text(encoding="utf-8")
        rows = json.loads(text) if manifest.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"backtest: cannot read {manifest}: {exc}") from exc
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"backtest: {manifest} must be {MANIFEST_HELP}; it has none")
    items: list[Item] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or row.get("id") in (None, ""):
            raise ConfigError(f"backtest: {manifest} entry {i + 1} has no id; give every entry one")
        ident = str(row["id"])
        if ident in seen:
            raise ConfigError(f"backtest: {manifest} lists {ident!r} twice; keep one entry")
        seen.add(ident)
        outlet = row.get("source") or row.get("outlet")
        items.append(
            Item(
                id=ident,
                path=_locate(folder, ident, manifest),
                published=_published(row.get("published"), manifest, ident),
                outlet=None if outlet is None else str(outlet),
                title=None if row.get("title") is None else str(row["title"]),
            )
        )
    return sorted(
        items, key=lambda it: (it.published is None, it.published or UNDATED_CLOCK, it.id)
    )


def _locate(folder: Path, ident: str, manifest: Path) -> Path:
    for base in (folder / "articles", folder):
        for suffix in SUFFIXES:
            if (path := base / f"{ident}{suffix}").is_file():
                return path
    raise ConfigError(
        f"backtest: {manifest} lists {ident!r} but there is no {ident}.txt or {ident}.html "
        f"in {folder} or {folder / 'articles'}; add the file or remove the entry"
    )


def _published(raw: Any, manifest: Path, ident: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=UTC)
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(raw))
    except ValueError as exc:
        raise ConfigError(
            f"backtest: {manifest}: {ident!r} has published {raw!r}, not a date; write an ISO "
            "date such as 2025-09-04 (or null when unknown)"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read(item: Item) -> Extracted:
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"backtest: cannot read {item.path}: {exc}") from exc
    if item.path.suffix == ".txt":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"backtest: {item.path} is not UTF-8 text; re-save it") from exc
        return Extracted(text, item.title, None, item.published, None, None)
    try:
        page = extract_article(data, item.path.as_uri())
    except MonitorError as exc:
        raise ConfigError(f"backtest: {item.path}: {exc}; give its text as {item.id}.txt") from exc
    # The manifest's date is the one the replay is ordered by, even when the page has its own.
    return Extracted(
        page.text, item.title or page.title, page.author, item.published, None, page.language
    )


def run_backtest(folder: Path, settings: Settings) -> Result:
    """Replay ``folder`` into a temporary SQLite database; return the decisions in order."""
    items = load_folder(folder)
    with tempfile.TemporaryDirectory(prefix="monitor-backtest-") as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/backtest.sqlite")
        try:
            migrate(engine)
            result = Result(articles=len(items), events=_replay(engine, items, settings))
            result.facts = _final_facts(engine)
            return result
        finally:
            engine.dispose()


def _replay(engine: Engine, items: Sequence[Item], settings: Settings) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    # The replay clock: each article is read just after it was published (undated ones last).
    last = datetime(1970, 1, 1, tzinfo=UTC)
    for n, item in enumerate(items):
        now = max(last, item.published or last) + timedelta(seconds=n + 1)
        last = now
        extracted = _read(item)
        with session_scope(engine) as s:
            article = Article(
                url=f"backtest:{item.id}",
                title=item.title,
                outlet=item.outlet,
                published_at=item.published,
                first_seen_at=now,
            )
            s.add(article)
            s.flush()
            assert article.id is not None
            version = save_version(s, article, extracted, None, now=now)
            if version is None:
                continue
            findings = find_facts(version.text, settings.facts)
            observations = save_observations(s, version, findings, now=now)
            changes = record_observations(
                s,
                article=article,
                version=version,
                observations=observations,
                settings=settings,
                now=now,
            )
            events.extend(_event(c, item, _channels(s, c)) for c in changes)
    return events


def _channels(s: Session, change: Change) -> list[str]:
    rows = s.exec(select(Alert.channel).where(Alert.change_id == change.id)).all()
    return sorted(rows)


def _plain(raw: str | None) -> Any:
    value = decode(raw)
    return list(value) if isinstance(value, tuple) else value


def _event(change: Change, item: Item, channels: list[str]) -> dict[str, Any]:
    return {
        "fact": change.fact,
        "qualifier": change.qualifier,
        "term": change.term,
        "old": _plain(change.old_json),
        "new": _plain(change.new_json),
        "kind": change.kind,
        "published": item.published.date().isoformat() if item.published else None,
        "article": item.id,
        "outlet": item.outlet,
        "alert": change.alert,
        "channels": channels,
    }


def _final_facts(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.exec(
            select(FactVersion)
            .where(col(FactVersion.state).in_(("current", "disputed")))
            .order_by(col(FactVersion.fact), col(FactVersion.id))
        ).all()
    out: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for r in rows:
        key = (r.fact, r.qualifier, r.term)
        entry = out.setdefault(
            key,
            {"fact": r.fact, "qualifier": r.qualifier, "term": r.term, "value": None},
        )
        if r.state == "current":
            entry.update(
                value=_plain(r.value_json),
                status=r.status,
                sources=r.sources,
                since=r.valid_from.date().isoformat() if r.valid_from else None,
            )
        else:
            entry.setdefault("disputed_by", []).append(_plain(r.value_json))
    return sorted(out.values(), key=lambda e: (e["fact"], e["qualifier"] or "", e["term"] or ""))


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``monitor backtest``."""
    p = sub.add_parser(
        "backtest",
        help="replay a folder of dated articles into a throwaway database",
        description=(
            "Replay DIR (article .txt/.html files plus a manifest.yaml or gold.yaml listing id, "
            "published, source, title) in publication order through the fact and change stages, "
            "and print the change history and the alerts that would have fired."
        ),
    )
    p.add_argument("dir", type=Path, help="folder with the articles and manifest.yaml/gold.yaml")
    # SUPPRESS: without --config here, the global --config (or $MONITOR_CONFIG) stays in force.
    p.add_argument(
        "--config", default=argparse.SUPPRESS, help="configuration with the facts to track"
    )
    p.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table: a report for reading (default); json: the decisions and final facts",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="table: also list conflicts, backfills, confirmations and resolutions",
    )
    p.set_defaults(func=_cmd_backtest)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from monitor.config import load_settings

    settings = load_settings(Path(args.config))
    if not settings.facts:
        raise ConfigError(
            f"backtest: {args.config} tracks no facts; add a facts: section (README, "
            "'Writing facts') or pass --config FILE"
        )
    # Every decision is printed below; one log line each would bury the table.
    history_log = logging.getLogger("monitor.history")
    level = history_log.level
    if not history_log.isEnabledFor(logging.DEBUG):
        history_log.setLevel(logging.WARNING)
    try:
        result = run_backtest(args.dir, settings)
    finally:
        history_log.setLevel(level)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.events, indent=1, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_table(result, show_all=args.all))
    return 0


def render_table(result: Result, *, show_all: bool = False) -> str:
    """The backtest as text: the change history, the alerts that fired, the facts at the end."""
    from rich.console import Console
    from rich.table import Table

    out = io.StringIO()
    # markup off: "[us_backstop]" and "[31, null]" are data, not rich style tags.
    console = Console(file=out, width=160, color_system=None, markup=False, highlight=False)
    changes = [e for e in result.events if show_all or e["alert"] or e["kind"] in STATE_KINDS]
    history = Table(
        "published", "article", "outlet", "fact", "decision", "old", "new", "alert", box=None
    )
    for e in changes:
        history.add_row(
            e["published"] or "undated",
            e["article"],
            e["outlet"] or "",
            _label(e),
            e["kind"],
            _show(e["old"]),
            _show(e["new"]),
            ", ".join(e["channels"]) or ("yes" if e["alert"] else ""),
        )
    hidden = len(result.events) - len(changes)
    console.print(
        f"Change history ({len(changes)} decisions"
        + (f"; {hidden} confirmations, conflicts and backfills hidden, see --all" if hidden else "")
        + ")"
    )
    console.print(history if changes else "  (none)")
    alerts = [e for e in result.events if e["alert"]]
    console.print(f"\nAlerts that would have fired ({len(alerts)})")
    for e in alerts:
        console.print(
            f"  {e['published'] or 'undated'}  {_label(e)}: {_show(e['old'])} -> "
            f"{_show(e['new'])}  ({e['kind']}, {e['article']}, {e['outlet'] or 'no outlet'})"
        )
    facts = Table("fact", "value", "status", "sources", "since", "disputed by", box=None)
    for f in result.facts:
        facts.add_row(
            _label(f),
            _show(f["value"]),
            f.get("status") or "",
            str(f.get("sources", "")),
            f.get("since") or "",
            ", ".join(_show(v) for v in f.get("disputed_by", [])),
        )
    console.print(f"\nFacts at the end ({len(result.facts)})")
    console.print(
        facts if result.facts else "  (none: no tracked fact was found in these articles)"
    )
    console.print(
        f"\n{result.articles} articles replayed, {len(result.events)} decisions, "
        f"{len(alerts)} alerts"
    )
    return out.getvalue()


STATE_KINDS = frozenset({"first", "change", "refinement", "resolved"})


def _label(e: dict[str, Any]) -> str:
    return str(e["fact"]) + "".join(f" [{x}]" for x in (e["qualifier"], e["term"]) if x)


def _show(value: Any) -> str:
    return "-" if value is None else value_text(value)
