"""Article rows and their append-only, content-addressed versions and observations."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.extract import Extracted
from monitor.facts import Finding, value_to_json
from monitor.models import Article, ArticleVersion, Observation
from monitor.store import clean
from monitor.store.engine import session_scope
from monitor.store.feeds import LEASE


@dataclass(frozen=True, slots=True)
class DueArticle:
    """A claimed article page to fetch, detached from any session."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    version_count: int
    revisit_index: int
    error_count: int
    first_seen_at: datetime
    published_at: datetime | None = None
    taken_over: bool = False


def content_hash(text: str) -> str:
    """SHA-256 of the text with white space folded: the identity of an article version."""
    # str.split() folds exactly what the regex \s+ matches (checked over every code point),
    # at a fifth of the cost.
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def claim_due_articles(engine: Engine, now: datetime, *, limit: int = 500) -> list[DueArticle]:
    """Claim articles whose first fetch or next revisit is due, under a lease.

    On PostgreSQL rows are locked with ``FOR UPDATE SKIP LOCKED``: several workers never take
    the same page; a crashed worker's lease expires and the page is taken over.
    """
    names = [f.name for f in dataclasses.fields(DueArticle) if f.name != "taken_over"]
    columns = [col(getattr(Article, name)) for name in names]
    with session_scope(engine) as s:
        stmt = (
            sa.select(*columns, col(Article.lease_until))
            .where(col(Article.next_check_at) <= now)
            .where(sa.or_(col(Article.lease_until).is_(None), col(Article.lease_until) < now))
            .order_by(col(Article.next_check_at), col(Article.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        # Plain rows and one UPDATE: a backlog claims hundreds of articles at a time.
        out = [
            DueArticle(*row[:-1], taken_over=row[-1] is not None)  # type: ignore[misc]
            for row in s.execute(stmt).all()
        ]
        if out:
            s.execute(
                sa.update(Article)
                .where(col(Article.id).in_([a.id for a in out]))
                .values(lease_until=now + LEASE)
            )
        return out


def release_articles(s: Session, ids: Sequence[int]) -> None:
    """Give back claims that were not started (a stopping worker): due again for anyone."""
    if ids:
        s.execute(sa.update(Article).where(col(Article.id).in_(ids)).values(lease_until=None))


def pending_versions(s: Session, *, limit: int) -> list[tuple[ArticleVersion, Article]]:
    """Versions whose observations wait for a decision, in publication order (then URL, then
    version): the order the change stage must take them in, whoever fetched them."""
    stmt = (
        select(ArticleVersion, Article)
        .join(Article, col(Article.id) == col(ArticleVersion.article_id))
        .where(col(ArticleVersion.decided_at).is_(None))
        .order_by(*decision_order(), col(ArticleVersion.number))
        .limit(limit)
    )
    return [(v, a) for v, a in s.exec(stmt).all()]


def version_observations(s: Session, version: ArticleVersion) -> list[Observation]:
    """The observations stored for ``version``, in the order they were found."""
    stmt = select(Observation).where(Observation.version_id == version.id)
    return list(s.exec(stmt.order_by(col(Observation.id))).all())


def decision_order() -> tuple[Any, Any]:
    """Publication time (first seen when undated), then URL: the same order in every worker."""
    return (
        sa.func.coalesce(col(Article.published_at), col(Article.first_seen_at)),
        col(Article.url),
    )


def first_unread(s: Session, now: datetime) -> tuple[datetime, str] | None:
    """The decision-order key of the earliest due page never fetched yet, if any: observations
    published after it must wait for it (it may be read by another worker right now)."""
    when, url = decision_order()
    stmt = (
        sa.select(when, url)
        .where(col(Article.next_check_at) <= now, col(Article.last_checked_at).is_(None))
        .order_by(when, url)
        .limit(1)
    )
    row = s.execute(stmt).first()
    if row is None:
        return None
    first: datetime = row[0]
    # SQLite's coalesce loses the column type: the value comes back as text.
    if isinstance(first, str):
        first = datetime.fromisoformat(first)
    return (first.replace(tzinfo=UTC) if first.tzinfo is None else first, row[1])


def load_articles(s: Session, ids: Sequence[int]) -> dict[int, Article]:
    """The article rows of ``ids`` in one query, by id."""
    stmt = select(Article).where(col(Article.id).in_(ids))
    return {row.id: row for row in s.exec(stmt).all() if row.id is not None}


def save_version(
    s: Session,
    article: Article,
    extracted: Extracted,
    raw_html_z: bytes | None,
    *,
    now: datetime,
    digest: str | None = None,
) -> ArticleVersion | None:
    """Add a new version of ``article`` if the text differs from every earlier one; else None.

    ``article`` is the row loaded in ``s`` (its ``version_count`` numbers the new version). The
    version is added, not flushed: its id is set when the session next flushes.
    ``raw_html_z`` is the page's HTML as stored (:func:`monitor.extract.compress_html`).
    ``digest`` is :func:`content_hash` of the text when the caller has it (the pipeline computes
    it in the pool).
    """
    assert article.id is not None
    digest = digest or content_hash(extracted.text)
    # A first version needs no look-up: most stored pages are new articles.
    if article.version_count and _has_text(s, article.id, digest):
        return None
    number = article.version_count + 1
    version = ArticleVersion(
        article_id=article.id,
        number=number,
        content_hash=digest,
        text=clean.text(extracted.text) or "",
        title=clean.text(extracted.title),
        author=clean.text(extracted.author, 500),
        language=clean.text(extracted.language, 20),
        published_at=extracted.published,
        modified_at=extracted.modified,
        raw_html_z=raw_html_z,
        fetched_at=now,
    )
    s.add(version)
    article.version_count = number
    article.title = version.title or article.title
    article.author = version.author or article.author
    article.language = version.language or article.language
    # The feed's date is the publisher's claim for the listing; the page's own date wins when
    # the feed gave none.
    article.published_at = article.published_at or extracted.published
    article.modified_at = extracted.modified or article.modified_at
    s.add(article)
    return version


def _has_text(s: Session, article_id: int, digest: str) -> bool:
    stmt = select(ArticleVersion.id).where(
        ArticleVersion.article_id == article_id, ArticleVersion.content_hash == digest
    )
    return s.exec(stmt).first() is not None


def save_observations(
    s: Session, version: ArticleVersion, findings: Sequence[Finding], *, now: datetime
) -> list[Observation]:
    """Store the fact stage's findings as evidence rows of ``version``."""
    if not findings:
        return []
    s.flush()  # the version's id; pages without findings are flushed together at commit
    assert version.id is not None
    rows = [
        Observation(
            version_id=version.id,
            fact=f.fact,
            value_json=None if f.value is None else json.dumps(value_to_json(f.value)),
            qualifier=clean.text(f.qualifier, 200),
            term=f.term,
            status=f.status,
            mention=f.mention,
            text=clean.text(f.text) or "",
            sentence=clean.text(f.sentence) or "",
            start=f.start,
            end=f.end,
            confidence=f.confidence,
            created_at=now,
        )
        for f in findings
    ]
    s.add_all(rows)
    s.flush()
    return rows


def record_article_checked(
    s: Session,
    row: Article,
    *,
    now: datetime,
    status: int,
    etag: str | None,
    last_modified: str | None,
    next_check_at: datetime | None,
) -> None:
    """A fetch of the page that worked (new version, same text or 304); ``row`` is in ``s``."""
    row.last_checked_at, row.last_status = now, status
    if status != 304:
        row.etag, row.last_modified = (
            clean.validator(etag, 500),
            clean.validator(last_modified, 100),
        )
    row.revisit_index += 1
    row.error_count, row.error_kind, row.error_message = 0, None, None
    row.next_check_at, row.lease_until = next_check_at, None
    s.add(row)


def record_article_failure(
    s: Session,
    row: Article,
    *,
    now: datetime,
    kind: str,
    message: str,
    status: int | None,
    next_check_at: datetime | None,
) -> None:
    """A failed fetch or extraction of the page; ``next_check_at=None`` gives up on it."""
    row.last_checked_at, row.last_status = now, status
    row.error_kind, row.error_message = clean.text(kind, 40), clean.text(message, 4000)
    row.error_count += 1
    row.next_check_at, row.lease_until = next_check_at, None
    s.add(row)
