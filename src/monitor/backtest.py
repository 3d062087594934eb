"""``monitor backtest DIR``: replay a labelled folder of articles into a throwaway database.

The folder holds the article files (``ID.txt`` or ``ID.html``, directly or under ``articles/``)
and a manifest (``manifest.yaml``, ``gold.yaml`` or ``manifest.json``): a list of
``{id, published, source, title}``. Articles are replayed in publication order through the same
fact and change stages as the live pipeline; undated ones come last and can confirm a value or
raise a conflict, never make a change. Users tune their fact definitions this way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.extract import Extracted, extract_article
from monitor.facts import find_facts
from monitor.history import decode, record_observations
from monitor.models import Alert, Article, Change
from monitor.store import create_db_engine, migrate, session_scope
from monitor.store.articles import save_observations, save_version

MANIFESTS = ("manifest.yaml", "manifest.yml", "gold.yaml", "manifest.json")
UNDATED_CLOCK = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Item:
    """One article of a backtest folder."""

    id: str
    path: Path
    published: datetime | None
    outlet: str | None
    title: str | None


def load_folder(folder: Path) -> list[Item]:
    """Read the manifest and locate each article file; errors say what is missing."""
    if not folder.is_dir():
        raise ConfigError(f"backtest: {folder} is not a folder")
    manifest = next((folder / m for m in MANIFESTS if (folder / m).is_file()), None)
    if manifest is None:
        raise ConfigError(f"backtest: {folder} has no manifest; add one of {', '.join(MANIFESTS)}")
    try:
        text = manifest.read_text(encoding="utf-8")
        rows = json.loads(text) if manifest.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"backtest: cannot read {manifest}: {exc}") from exc
    if not isinstance(rows, list):
        raise ConfigError(f"backtest: {manifest} must be a list of {{id, published, source}}")
    items = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row.get("id"):
            raise ConfigError(f"backtest: {manifest} entry {i} has no id")
        ident = str(row["id"])
        items.append(
            Item(
                id=ident,
                path=_locate(folder, ident, manifest),
                published=_published(row.get("published"), manifest, ident),
                outlet=row.get("source") or row.get("outlet"),
                title=row.get("title"),
            )
        )
    return sorted(
        items, key=lambda it: (it.published is None, it.published or UNDATED_CLOCK, it.id)
    )


def _locate(folder: Path, ident: str, manifest: Path) -> Path:
    for base in (folder / "articles", folder):
        for suffix in (".txt", ".html", ".htm"):
            if (path := base / f"{ident}{suffix}").is_file():
                return path
    raise ConfigError(f"backtest: {manifest} lists {ident!r} but {folder} has no {ident}.txt/.html")


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
            f"backtest: {manifest}: {ident} has a bad published date {raw!r}"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _read(item: Item) -> Extracted:
    data = item.path.read_bytes()
    if item.path.suffix == ".txt":
        text = data.decode("utf-8", "replace")
        return Extracted(text, item.title, None, item.published, None, None)
    page = extract_article(data, item.path.as_uri())
    return Extracted(
        page.text, item.title or page.title, page.author, item.published, None, page.language
    )


def run_backtest(folder: Path, settings: Settings) -> list[dict[str, Any]]:
    """Replay ``folder`` into a temporary database; return the decisions in order."""
    items = load_folder(folder)
    with tempfile.TemporaryDirectory(prefix="monitor-backtest-") as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/backtest.sqlite")
        try:
            migrate(engine)
            return _replay(engine, items, settings)
        finally:
            engine.dispose()


def _replay(engine: Any, items: Sequence[Item], settings: Settings) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
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
            version = save_version(s, article.id, extracted, b"", now=now)
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
            events.extend(_event(c, item, _fired(s, c)) for c in changes)
    return events


def _fired(s: Any, change: Change) -> list[str]:
    from sqlmodel import select

    rows = s.exec(select(Alert.channel).where(Alert.change_id == change.id)).all()
    return sorted(rows)


def _event(change: Change, item: Item, channels: list[str]) -> dict[str, Any]:
    def plain(raw: str | None) -> Any:
        value = decode(raw)
        return list(value) if isinstance(value, tuple) else value

    return {
        "fact": change.fact,
        "qualifier": change.qualifier,
        "term": change.term,
        "old": plain(change.old_json),
        "new": plain(change.new_json),
        "kind": change.kind,
        "published": item.published.date().isoformat() if item.published else None,
        "article": item.id,
        "outlet": item.outlet,
        "alert": change.alert,
        "channels": channels,
    }


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``monitor backtest``."""
    p = sub.add_parser(
        "backtest",
        help="replay a folder of dated articles into a throwaway database",
        description=(
            "Replay DIR (article files plus a manifest of id, published, source, title) in "
            "publication order and print the change history and the alerts that would fire."
        ),
    )
    p.add_argument("dir", type=Path, help="folder with the articles and manifest.yaml/gold.yaml")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--all", action="store_true", help="also list conflicts, backfills and resolutions"
    )
    p.set_defaults(func=_cmd_backtest)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from monitor.config import load_settings

    settings = load_settings(Path(args.config))
    events = run_backtest(args.dir, settings)
    if args.format == "json":
        sys.stdout.write(json.dumps(events, indent=1, ensure_ascii=False) + "\n")
        return 0
    shown = [e for e in events if args.all or e["alert"] or e["kind"] == "change"]
    from rich.console import Console
    from rich.table import Table

    table = Table("published", "article", "fact", "kind", "old", "new", "alert", box=None)
    for e in shown:
        label = e["fact"] + "".join(f" [{x}]" for x in (e["qualifier"], e["term"]) if x)
        table.add_row(
            e["published"] or "undated",
            e["article"],
            label,
            e["kind"],
            _show(e["old"]),
            _show(e["new"]),
            ", ".join(e["channels"]) or ("yes" if e["alert"] else ""),
        )
    Console().print(table)
    alerts = sum(1 for e in events if e["alert"])
    sys.stdout.write(f"{len(items_of(events))} articles with decisions, {alerts} alerts\n")
    return 0


def items_of(events: Sequence[dict[str, Any]]) -> set[str]:
    """The articles that produced at least one decision."""
    return {e["article"] for e in events}


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        lo, hi = value
        return f"[{'' if lo is None else lo}, {'' if hi is None else hi}]"
    return str(value)
