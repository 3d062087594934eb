"""Builders for test databases: an article, its version, what it states, and the history decided.

:func:`store_report` is the one place that writes these rows; each test module wraps it with
the defaults its story needs. :func:`build_history` is the story the query CLI and the HTTP
API are both tested on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor.config import Settings
from monitor.history import record_observations
from monitor.models import Article, ArticleVersion, Change, Observation

T0 = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
FRANCE: dict[str, Any] = {"fact": "force.troops", "qualifier": "France"}


@dataclass(frozen=True)
class Said:
    """One value an article states; with a ``term`` the value is that term's status."""

    value: Any
    mention: str = "current"
    quote: str | None = None  # default: "{value} countries"
    sentence: str | None = None  # default: "Officials said {value} countries took part."


@dataclass
class Stored:
    """What :func:`store_report` wrote: the article id and the changes decided on it."""

    article_id: int
    changes: list[Change]


def words(n: int, count: int = 40, prefix: str = "w") -> str:
    """Filler words unique to article ``n``, so no two test articles share a content hash."""
    return " ".join(f"{prefix}{n}x{i}" for i in range(count))


def add_report(
    s: Session,
    n: int,
    outlet: str,
    said: Sequence[Said],
    *,
    published: datetime | None,
    now: datetime,
    settings: Settings,
    text: str,
    title: str | None = None,
    url: str | None = None,
    fact: str = "coalition.countries",
    qualifier: str | None = None,
    term: str | None = None,
) -> Stored:
    """Add article ``n`` by ``outlet`` (version 1 with ``text``) stating ``said`` about ``fact``
    to the session and record the history decision on it at ``now``; nothing is committed."""
    article = Article(
        url=url or f"https://{outlet}.example/news/{n}",
        title=title,
        outlet=outlet,
        published_at=published,
        first_seen_at=now,
    )
    s.add(article)
    s.flush()
    assert article.id is not None
    version = ArticleVersion(
        article_id=article.id, number=1, content_hash=f"{n:064d}", text=text, fetched_at=now
    )
    s.add(version)
    s.flush()
    assert version.id is not None
    observations = [
        Observation(
            version_id=version.id,
            fact=fact,
            qualifier=qualifier,
            term=term,
            status=x.value if term else None,
            value_json=None if term else json.dumps(x.value),
            mention=x.mention,
            text=x.quote or f"{x.value} countries",
            sentence=x.sentence or f"Officials said {x.value} countries took part.",
            start=0,
            end=10,
            created_at=now,
        )
        for x in said
    ]
    s.add_all(observations)
    s.flush()
    changes = record_observations(
        s, article=article, version=version, observations=observations, settings=settings, now=now
    )
    return Stored(article.id, changes)


def store_report(
    engine: Engine,
    n: int,
    outlet: str,
    said: Sequence[Said],
    **article: Any,
) -> Stored:
    """:func:`add_report` in a session of its own (``article`` are its keywords), committed."""
    with Session(engine) as s:
        stored = add_report(s, n, outlet, said, **article)
        # Detached copies taken before the commit: commit expires the ORM rows, and
        # model_dump() reads the instance dict without reloading expired attributes.
        copies = [Change(**c.model_dump()) for c in stored.changes]
        s.commit()
        return Stored(stored.article_id, copies)


def day(d: float, minutes: int = 0) -> datetime:
    """``d`` days (and ``minutes``) after :data:`T0`."""
    return T0 + timedelta(days=d, minutes=minutes)


def story_report(
    engine: Engine,
    n: int,
    outlet: str,
    d: float,
    value: Any,
    *,
    fact: str = "coalition.countries",
    qualifier: str | None = None,
    term: str | None = None,
    earlier: Any = None,
) -> int:
    """Article ``n`` by ``outlet`` published on day ``d``, read 5 minutes later; its id."""
    stated = [(value, "current")] + ([(earlier, "historical")] if earlier is not None else [])
    return store_report(
        engine,
        n,
        outlet,
        [
            Said(
                v,
                mention,
                quote=f"{v} quoted by {outlet}",
                sentence=f"{outlet} said the figure is {v} (article {n}).",
            )
            for v, mention in stated
        ],
        published=day(d),
        now=day(d, 5),
        settings=Settings(),
        text=f"{outlet} report {n}. {words(n)}",
        title=f"Report {n}",
        fact=fact,
        qualifier=qualifier,
        term=term,
    ).article_id


@dataclass
class Story:
    """The history built by :func:`build_history` (article ids by number)."""

    articles: dict[int, int]


def build_history(engine: Engine) -> Story:
    """A first value, a change, a confirmation, and a conflict on a qualified fact."""
    ids = {
        1: story_report(engine, 1, "alpha", 0, 31),
        2: story_report(engine, 2, "beta", 10, 35, earlier=31),
        3: story_report(engine, 3, "gamma", 11, 35),
        4: story_report(engine, 4, "alpha", 20, [25000, 30000], **FRANCE),
        5: story_report(engine, 5, "beta", 20.2, [15000, 20000], **FRANCE),
    }
    return Story(articles=ids)


def beta_evidence(story: Story) -> dict[str, Any]:
    """The evidence of the story's current coalition value from beta, as the CLI and API show it."""
    return {
        "article": story.articles[2],
        "article_version": 1,
        "outlet": "beta",
        "url": "https://beta.example/news/2",
        "title": "Report 2",
        "published": "2025-09-11T08:00:00+00:00",
        "sentence": "beta said the figure is 35 (article 2).",
        "quote": "35 quoted by beta",
    }
