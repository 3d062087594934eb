"""Store stage: the database engine (:mod:`.engine`) and the pipeline's records (:mod:`.feeds`,
:mod:`.articles`)."""

from __future__ import annotations

from monitor.store.engine import (
    ENV_MIGRATIONS,
    advisory_lock,
    alembic_config,
    check_connection,
    create_db_engine,
    head_revision,
    is_sqlite,
    lock_in_transaction,
    migrate,
    migrations_dir,
    normalize_url,
    schema_problem,
    session_scope,
)

__all__ = [
    "ENV_MIGRATIONS",
    "advisory_lock",
    "alembic_config",
    "check_connection",
    "create_db_engine",
    "head_revision",
    "is_sqlite",
    "lock_in_transaction",
    "migrate",
    "migrations_dir",
    "normalize_url",
    "schema_problem",
    "session_scope",
]
