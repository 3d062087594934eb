"""The database: engine construction, migrations and sessions.

SQLite (the embedded default, WAL mode, foreign keys on) or PostgreSQL via
``MONITOR_DATABASE_URL``. The schema is created and upgraded only by the Alembic migrations
shipped inside the package, ``monitor/migrations`` (:func:`migrate`), so an installed wheel can
upgrade its database from any directory. Several processes may start at once against one
PostgreSQL database: migrations run under an advisory lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from monitor.errors import StoreError

ENV_MIGRATIONS = "MONITOR_MIGRATIONS"
WRITE_OPTION = "monitor_writes"


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` / ``postgres://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_db_engine(url: str, *, base_dir: Path | None = None, **kwargs: Any) -> Engine:
    """Build the one engine of the process; relative SQLite paths are taken from ``base_dir``."""
    url = normalize_url(url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////") and ":memory:" not in url:
        rel = Path(url.removeprefix("sqlite:///"))
        path = (base_dir or Path.cwd()) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; we issue it ourselves (see _sqlite_begin)
    # so that SQLAlchemy's SAVEPOINTs and our write locks behave as documented.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A transaction that will write takes the write lock at BEGIN (session_scope), so it waits
    # up to busy_timeout for another writer; a plain BEGIN that writes later fails at once with
    # "database is locked" (issue 10). Reads keep a plain BEGIN and never block writers (WAL).
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite (no row locks: one writer at a time)."""
    return engine.dialect.name == "sqlite"


def migrations_dir() -> Path:
    """Where the Alembic scripts live: the package's ``migrations``, or $MONITOR_MIGRATIONS."""
    env = os.environ.get(ENV_MIGRATIONS)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1] / "migrations"


@contextmanager
def advisory_lock(engine: Engine, name: str) -> Iterator[None]:
    """Hold a PostgreSQL session advisory lock named ``name`` (per schema); a no-op on SQLite.

    Used where every worker of a fleet would otherwise do the same one-off job at once
    (migrations): the first does it, the others wait and then find nothing left to do.
    """
    if is_sqlite(engine):
        yield
        return
    key = sa.text("SELECT hashtext(:name || current_schema())")
    with engine.connect() as conn:
        lock_id = conn.execute(key, {"name": name}).scalar_one()
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": lock_id})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
            conn.commit()


def lock_in_transaction(s: Session, name: str, *, wait: bool = True) -> bool:
    """Take a PostgreSQL advisory lock named ``name`` until ``s`` commits; whether it was
    taken (``wait=False`` gives up at once if another session holds it). A no-op on SQLite,
    whose writers are serialised by the database lock."""
    bind = s.get_bind()
    if bind.dialect.name == "sqlite":
        return True
    fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = s.execute(
        sa.text(f"SELECT {fn}(hashtext(:name || current_schema()))"), {"name": name}
    ).scalar()
    return wait or bool(got)


def alembic_config(engine: Engine) -> Any:
    """An Alembic config bound to ``engine`` (used by :func:`migrate` and the CLI)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` in one transaction per migration."""
    from alembic import command

    if not migrations_dir().is_dir():
        raise StoreError(
            f"store: migrations not found at {migrations_dir()}; reinstall the package or set "
            f"{ENV_MIGRATIONS} to its monitor/migrations folder"
        )
    try:
        with advisory_lock(engine, "monitor.migrate."):
            command.upgrade(alembic_config(engine), revision)
    except OperationalError as exc:
        raise StoreError(f"store: cannot migrate {engine.url!r}: {exc.orig}") from exc


def describe_store_error(engine: Engine, exc: BaseException) -> str:
    """What a database error means for the user, and what to do: read-only, full, locked or
    unreachable database (the service retries on every tick and resumes by itself)."""
    where = engine.url.render_as_string(hide_password=True)
    orig = getattr(exc, "orig", None) or exc
    # A failed rollback ("no such savepoint": SQLite rolled back on its own) hides the error
    # that caused it: read the whole chain.
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = " ".join(str(getattr(e, "orig", None) or e) for e in chain).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        what = "is read-only; make the file and its folder writable by this user"
    elif "full" in text or "no space" in text or "could not extend" in text:
        what = "is out of disk space; free some space"
    elif "locked" in text:
        what = (
            "is locked by another process for longer than the 30 s busy timeout; "
            "find the process holding it"
        )
    elif "disk i/o" in text:
        what = "had a disk I/O error; check the disk and free space"
    else:
        what = f"failed ({type(orig).__name__}: {str(orig).strip()[:300]})"
    return f"store: the database {where} {what}; the pass was abandoned and is retried"


def head_revision() -> str:
    """The newest migration shipped with this version of the package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert head is not None
    return head


def schema_problem(engine: Engine, head: str) -> str | None:
    """Why the database cannot serve this version (unreachable, not migrated), or None."""
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return "no schema; run `monitor db upgrade`"
            current = {
                r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            }
    except OperationalError as exc:
        return f"cannot connect: {exc.orig}"
    if head not in current:
        found = ", ".join(sorted(current)) or "none"
        return f"schema revision {found}, this version needs {head}; run `monitor db upgrade`"
    return None


def check_connection(engine: Engine) -> None:
    """Raise :class:`StoreError` with advice if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except OperationalError as exc:
        raise StoreError(
            f"store: cannot connect to {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}; check MONITOR_DATABASE_URL and that the server is running"
        ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any exception.

    Its transaction writes: on SQLite it begins with ``BEGIN IMMEDIATE``."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            session.connection(execution_options={WRITE_OPTION: True})
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
