"""The Alembic migrations and the SQLModel models describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import monitor.models  # noqa: F401


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == [], f"models and migrations differ; run db/make_migration.py: {diff}"


def test_migrate_is_idempotent(engine: Engine) -> None:
    from monitor.store import migrate

    migrate(engine)
    with engine.connect() as conn:
        tables = set(engine.dialect.get_table_names(conn))
    assert {"feeds", "articles", "article_versions", "observations", "alerts"} <= tables
