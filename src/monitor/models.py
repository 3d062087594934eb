"""Database tables (SQLModel). The schema is managed by the Alembic migrations in ``db/``;
``tests/test_migrations.py`` proves the migrations and these models give the same schema.

Times are stored as naive UTC and read back as aware UTC (:class:`UTCDateTime`), the same on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; monitor stores aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _text(*, nullable: bool = True) -> Any:
    return Field(default=None, sa_column=sa.Column(sa.Text(), nullable=nullable))


class Feed(SQLModel, table=True):
    """One configured feed and its polling state (the database drives scheduling)."""

    __tablename__ = "feeds"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    url: str = Field(max_length=2000)
    outlet: str | None = Field(default=None, max_length=200)
    enabled: bool = True
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    next_check_at: datetime | None = _ts(index=True)
    last_checked_at: datetime | None = _ts()
    last_success_at: datetime | None = _ts()
    last_status: int | None = None
    last_outcome: str | None = Field(default=None, max_length=40)
    error_kind: str | None = Field(default=None, max_length=40)
    error_message: str | None = _text()
    error_count: int = 0
    last_error_at: datetime | None = _ts()
    entries_seen: int = 0
    lease_until: datetime | None = _ts()


class Article(SQLModel, table=True):
    """A page linked from one or more feeds, identified by its canonical URL."""

    __tablename__ = "articles"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000, unique=True)
    title: str | None = _text()
    outlet: str | None = Field(default=None, max_length=200)
    author: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=20)
    published_at: datetime | None = _ts(index=True)
    modified_at: datetime | None = _ts()
    first_seen_at: datetime | None = _ts(nullable=False)
    last_checked_at: datetime | None = _ts()
    next_check_at: datetime | None = _ts(index=True)
    revisit_index: int = 0
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    last_status: int | None = None
    error_kind: str | None = Field(default=None, max_length=40)
    error_message: str | None = _text()
    error_count: int = 0
    version_count: int = 0
    lease_until: datetime | None = _ts()


class FeedEntry(SQLModel, table=True):
    """Links an article to each feed that listed it (an article in two feeds is stored once)."""

    __tablename__ = "feed_entries"
    __table_args__ = (sa.UniqueConstraint("feed_id", "entry_key"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    entry_key: str = Field(max_length=2000)
    title: str | None = _text()
    published_at: datetime | None = _ts()
    first_seen_at: datetime | None = _ts(nullable=False)


class ArticleVersion(SQLModel, table=True):
    """One distinct extracted text of an article (append-only, content-addressed)."""

    __tablename__ = "article_versions"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "content_hash"),
        sa.UniqueConstraint("article_id", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    number: int
    content_hash: str = Field(max_length=64)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    title: str | None = _text()
    author: str | None = Field(default=None, max_length=500)
    language: str | None = Field(default=None, max_length=20)
    published_at: datetime | None = _ts()
    modified_at: datetime | None = _ts()
    raw_html_z: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary()))
    fetched_at: datetime | None = _ts(nullable=False)
    # When the change stage took its decisions on this version's observations; None while they
    # wait for the pages published before it (several workers decide in publication order).
    decided_at: datetime | None = _ts(index=True)


class Observation(SQLModel, table=True):
    """A statement of a tracked fact found in an article version, with its evidence."""

    __tablename__ = "observations"

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="article_versions.id", index=True)
    fact: str = Field(max_length=200, index=True)
    value_json: str | None = _text()
    qualifier: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    status: str | None = Field(default=None, max_length=40)
    mention: str = Field(default="current", max_length=40)
    text: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    sentence: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    start: int
    end: int
    confidence: float = 1.0
    created_at: datetime | None = _ts(nullable=False)


class FactVersion(SQLModel, table=True):
    """One value a fact (or fact + qualifier, or term) has held: the versioned history."""

    __tablename__ = "fact_versions"

    id: int | None = Field(default=None, primary_key=True)
    fact: str = Field(max_length=200, index=True)
    qualifier: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    value_json: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    status: str = Field(default="unconfirmed", max_length=20)
    state: str = Field(default="current", max_length=20)
    valid_from: datetime | None = _ts()
    valid_until: datetime | None = _ts()
    first_seen_at: datetime | None = _ts(nullable=False)
    last_seen_at: datetime | None = _ts()
    sources: int = 0
    # Monitor times, so queries can say what was believed at any moment (``--as-of``):
    # when the version stopped being current or disputed, and when it became confirmed.
    superseded_at: datetime | None = _ts()
    confirmed_at: datetime | None = _ts()


class FactEvidence(SQLModel, table=True):
    """An observation supporting a fact version."""

    __tablename__ = "fact_evidence"
    __table_args__ = (sa.UniqueConstraint("fact_version_id", "observation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    fact_version_id: int = Field(foreign_key="fact_versions.id", index=True)
    observation_id: int = Field(foreign_key="observations.id", index=True)
    outlet: str | None = Field(default=None, max_length=200)


class Change(SQLModel, table=True):
    """A decision taken on an observation: first, change, refinement, conflict, resolved..."""

    __tablename__ = "changes"

    id: int | None = Field(default=None, primary_key=True)
    fact: str = Field(max_length=200, index=True)
    qualifier: str | None = Field(default=None, max_length=200)
    term: str | None = Field(default=None, max_length=200)
    kind: str = Field(max_length=40)
    old_json: str | None = _text()
    new_json: str | None = _text()
    observation_id: int | None = Field(default=None, foreign_key="observations.id")
    fact_version_id: int | None = Field(default=None, foreign_key="fact_versions.id")
    article_id: int | None = Field(default=None, foreign_key="articles.id")
    published_at: datetime | None = _ts()
    decided_at: datetime | None = _ts(nullable=False, index=True)
    alert: bool = False


class Alert(SQLModel, table=True):
    """The outbox: one row per (change, channel), written in the change's transaction."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    change_id: int | None = Field(default=None, foreign_key="changes.id", index=True)
    channel: str = Field(max_length=200)
    rule: int = 0
    idempotency_key: str = Field(max_length=100, unique=True)
    state: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(index=True)
    last_error: str | None = _text()
    created_at: datetime | None = _ts(nullable=False)
    delivered_at: datetime | None = _ts()
    lease_until: datetime | None = _ts()
    digest_of: int | None = Field(default=None, foreign_key="alerts.id", index=True)


class AlertAttempt(SQLModel, table=True):
    """Every delivery attempt of an alert, successful or not."""

    __tablename__ = "alert_attempts"

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    at: datetime | None = _ts(nullable=False)
    ok: bool = False
    status_code: int | None = None
    error: str | None = _text()
