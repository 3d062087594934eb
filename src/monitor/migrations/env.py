"""Alembic environment: runs against the engine handed over by ``monitor.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import monitor.models  # noqa: F401  (registers the tables)
from monitor.store import create_db_engine

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("no engine: run migrations through `monitor db upgrade`")
        engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            transaction_per_migration=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
