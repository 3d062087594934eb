"""Feed rows: configuration sync, due-work claims with a lease, and each check's outcome."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.config import FeedConfig
from monitor.models import Article, Feed, FeedEntry
from monitor.parse import Entry
from monitor.store import clean
from monitor.store.engine import lock_in_transaction, session_scope

LEASE = timedelta(minutes=10)
URL_MAX = 2000  # articles.url and feed_entries.entry_key

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DueFeed:
    """A claimed feed: what the fetch needs, detached from any session."""

    id: int
    name: str
    url: str
    outlet: str | None
    etag: str | None
    last_modified: str | None
    error_count: int
    taken_over: bool = False


def sync_feeds(engine: Engine, feeds: Sequence[FeedConfig], now: datetime) -> int:
    """Make the feeds table follow the configuration; new feeds are due at once.

    Feeds removed from the configuration are disabled, not deleted: their articles stay linked.
    Every worker syncs at start; on PostgreSQL they take turns under an advisory lock, and rows
    another worker has just added are left alone (``ON CONFLICT DO NOTHING``). Only rows that
    differ are written, in bulk. Returns the number of rows added or changed.
    """
    with session_scope(engine) as s:
        lock_in_transaction(s, "monitor.sync_feeds.")
        table = Feed.__table__  # type: ignore[attr-defined]
        rows = {
            r.name: r
            for r in s.execute(
                sa.select(table.c.id, table.c.name, table.c.url, table.c.outlet, table.c.enabled)
            )
        }
        new: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        moved: list[dict[str, object]] = []
        for cfg in feeds:
            outlet = cfg.outlet or cfg.name
            row = rows.pop(cfg.name, None)
            if row is None:
                new.append(
                    {"name": cfg.name, "url": cfg.url, "outlet": outlet, "enabled": cfg.enabled}
                )
            elif row.url != cfg.url:
                moved.append({"_id": row.id, "url": cfg.url, "outlet": outlet, "en": cfg.enabled})
            elif (row.outlet, row.enabled) != (outlet, cfg.enabled):
                changed.append({"_id": row.id, "outlet": outlet, "en": cfg.enabled})
        changed += [
            {"_id": r.id, "outlet": r.outlet, "en": False} for r in rows.values() if r.enabled
        ]
        if new:
            insert = _insert(s)(table).on_conflict_do_nothing(index_elements=["name"])
            s.execute(
                insert,
                [{**row, "next_check_at": now, "error_count": 0, "entries_seen": 0} for row in new],
            )
        by_id = table.c.id == sa.bindparam("_id")
        if changed:
            s.execute(
                sa.update(table)
                .where(by_id)
                .values(outlet=sa.bindparam("outlet"), enabled=sa.bindparam("en")),
                changed,
            )
        if moved:
            s.execute(
                sa.update(table)
                .where(by_id)
                .values(
                    url=sa.bindparam("url"),
                    outlet=sa.bindparam("outlet"),
                    enabled=sa.bindparam("en"),
                    etag=None,
                    last_modified=None,
                    next_check_at=now,
                ),
                moved,
            )
        return len(new) + len(changed) + len(moved)


def _insert(s: Session) -> Any:
    """The dialect's INSERT, which knows ``ON CONFLICT``."""
    if s.get_bind().dialect.name == "sqlite":
        return sqlite_insert
    return pg_insert


def claim_due_feeds(engine: Engine, now: datetime, *, limit: int = 500) -> list[DueFeed]:
    """:func:`claim_feeds` in a transaction of its own."""
    with session_scope(engine) as s:
        return claim_feeds(s, now, limit=limit)


def claim_feeds(s: Session, now: datetime, *, limit: int) -> list[DueFeed]:
    """Claim enabled feeds whose ``next_check_at`` has passed, oldest first, under a lease.

    On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED`` so that several workers never
    take the same feed; a crashed worker's lease expires after :data:`LEASE` and the feed is
    taken over (``DueFeed.taken_over``).
    """
    if limit <= 0:
        return []
    t = Feed.__table__  # type: ignore[attr-defined]
    stmt = (
        sa.select(
            t.c.id,
            t.c.name,
            t.c.url,
            t.c.outlet,
            t.c.etag,
            t.c.last_modified,
            t.c.error_count,
            t.c.lease_until,
        )
        .where(t.c.enabled, t.c.next_check_at <= now)
        .where(sa.or_(t.c.lease_until.is_(None), t.c.lease_until < now))
        .order_by(t.c.next_check_at, t.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # Plain rows and one UPDATE: claims come hundreds at a time.
    out = [
        DueFeed(*row[:-1], taken_over=row[-1] is not None)  # type: ignore[misc]
        for row in s.execute(stmt)
    ]
    if out:
        s.execute(
            sa.update(t).where(t.c.id.in_([f.id for f in out])).values(lease_until=now + LEASE)
        )
    return out


def feeds_in_flight(engine: Engine, now: datetime, *, within: timedelta) -> int:
    """Feeds claimed in the last ``within`` and not finished: being polled right now by a live
    worker (a crashed worker's older leases do not count)."""
    with engine.connect() as conn:
        stmt = sa.select(sa.func.count()).where(col(Feed.lease_until) > now + LEASE - within)
        return int(conn.execute(stmt).scalar_one())


def release_feeds(s: Session, ids: Sequence[int]) -> None:
    """Give back claims that were not started (a stopping worker): due again for anyone."""
    if ids:
        s.execute(sa.update(Feed).where(col(Feed.id).in_(ids)).values(lease_until=None))


def record_feed_success(
    s: Session,
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    status: int,
    etag: str | None,
    last_modified: str | None,
    outcome: str,
) -> None:
    """A check that worked (200 or 304): store validators and reset the error state."""
    row = s.get_one(Feed, feed_id)
    row.last_checked_at = row.last_success_at = now
    row.last_status, row.last_outcome = status, outcome
    etag, last_modified = clean.validator(etag, 500), clean.validator(last_modified, 100)
    row.etag = (etag or row.etag) if status == 304 else etag
    row.last_modified = (last_modified or row.last_modified) if status == 304 else last_modified
    row.error_count, row.error_kind, row.error_message = 0, None, None
    row.next_check_at, row.lease_until = next_check_at, None
    s.add(row)


def record_feeds_not_modified(s: Session, checks: Sequence[dict[str, object]]) -> None:
    """Many 304 answers at once (one statement, executed for each): validators kept unless the
    server sent new ones, error state reset. Each item has ``id``, ``now``, ``next_check_at``,
    ``etag``, ``last_modified``."""
    if not checks:
        return
    t = Feed.__table__  # type: ignore[attr-defined]
    stmt = (
        sa.update(t)
        .where(t.c.id == sa.bindparam("_id"))
        .values(
            last_checked_at=sa.bindparam("_now"),
            last_success_at=sa.bindparam("_now"),
            last_status=304,
            last_outcome="not_modified",
            etag=sa.func.coalesce(sa.bindparam("_etag", type_=sa.String), t.c.etag),
            last_modified=sa.func.coalesce(sa.bindparam("_lm", type_=sa.String), t.c.last_modified),
            error_count=0,
            error_kind=None,
            error_message=None,
            next_check_at=sa.bindparam("_next"),
            lease_until=None,
        )
    )
    s.execute(
        stmt,
        [
            {
                "_id": c["id"],
                "_now": c["now"],
                "_next": c["next_check_at"],
                "_etag": c["etag"],
                "_lm": c["last_modified"],
            }
            for c in checks
        ],
    )


def record_feed_failure(
    s: Session,
    feed_id: int,
    *,
    now: datetime,
    next_check_at: datetime,
    kind: str,
    message: str,
    status: int | None = None,
    count: bool = True,
) -> int:
    """A failed check: store the error on the feed's row; returns its consecutive error count.

    ``count=False`` records a service-level failure (network down) without blaming the feed.
    """
    row = s.get_one(Feed, feed_id)
    row.last_checked_at, row.last_status = now, status
    row.last_outcome = "error" if count else "network_down"
    row.error_kind, row.error_message = clean.text(kind, 40), clean.text(message, 4000)
    if count:
        row.error_count += 1
        row.last_error_at = now
    row.next_check_at, row.lease_until = next_check_at, None
    s.add(row)
    return row.error_count


def _new_article(entry: Entry, outlet: str | None, now: datetime) -> dict[str, object]:
    return {
        "url": entry.url,
        "title": clean.text(entry.title),
        "outlet": outlet,
        "published_at": entry.published,
        "first_seen_at": now,
        "next_check_at": now,
        "revisit_index": 0,
        "error_count": 0,
        "version_count": 0,
    }


def link_entries(
    s: Session, feed_id: int, entries: Sequence[Entry], *, outlet: str | None, now: datetime
) -> list[int]:
    """Store the feed's entries; returns the ids of articles seen for the first time.

    An article listed by two feeds is stored once and linked to both. An entry whose link is
    longer than any real URL (2,000 characters) is left out; a long guid is stored as its
    hash. Look-ups go in chunks: a feed of 70,000 items is over PostgreSQL's 65,535 bound
    parameters in one statement.
    """
    entries = _storable(entries)
    known = set(s.exec(select(FeedEntry.entry_key).where(FeedEntry.feed_id == feed_id)).all())
    fresh = [e for e in entries if e.key not in known]
    if not fresh:
        return []
    ids: dict[str, int] = {}
    for part in clean.chunks(sorted({e.url for e in fresh})):
        known_urls = select(Article.url, Article.id).where(col(Article.url).in_(part))
        ids.update({url: i for url, i in s.exec(known_urls).all() if i is not None})
    new: dict[str, Entry] = {}
    for entry in fresh:
        if entry.url not in ids:
            new.setdefault(entry.url, entry)
    if new:
        # Core bulk statements: a feed's first fetch adds hundreds of rows at once, and ORM
        # objects would cost more than the SQL. Another worker's feed may list the same article
        # at the same moment: its row wins, and ours is looked up.
        insert = _insert(s)(Article).on_conflict_do_nothing(index_elements=["url"])
        rows = s.execute(
            insert.returning(col(Article.url), col(Article.id)),
            [_new_article(e, outlet, now) for e in new.values()],
        )
        ids.update({url: article_id for url, article_id in rows})
        if lost := [url for url in new if url not in ids]:
            for part in clean.chunks(lost):
                stmt = select(Article.url, Article.id).where(col(Article.url).in_(part))
                ids.update({url: i for url, i in s.exec(stmt).all() if i is not None})
            new = {url: e for url, e in new.items() if url not in lost}
    s.execute(
        _insert(s)(FeedEntry).on_conflict_do_nothing(index_elements=["feed_id", "entry_key"]),
        [
            {
                "feed_id": feed_id,
                "article_id": ids[e.url],
                "entry_key": e.key,
                "title": clean.text(e.title),
                "published_at": e.published,
                "first_seen_at": now,
            }
            for e in fresh
        ],
    )
    feed = s.get_one(Feed, feed_id)
    feed.entries_seen += len(fresh)
    s.add(feed)
    return [ids[url] for url in new]


def _storable(entries: Sequence[Entry]) -> list[Entry]:
    """The entries that fit the columns: over-long links left out, over-long guids hashed."""
    out: list[Entry] = []
    seen: set[str] = set()
    for entry in entries:
        if len(entry.url) > URL_MAX or "\0" in entry.url:
            log.warning(
                "feed entry left out: its link is %d characters long",
                len(entry.url),
                extra={"stage": "store", "url": entry.url[:200]},
            )
            continue
        key = clean.key(entry.key, URL_MAX)
        if key not in seen:
            seen.add(key)
            out.append(entry if key == entry.key else dataclasses.replace(entry, key=key))
    return out
