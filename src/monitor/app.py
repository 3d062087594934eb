"""The composition root: builds the long-lived dependencies once and hands them down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from monitor.config import Settings, load_settings
from monitor.metrics import Metrics
from monitor.store import create_db_engine, migrate


@dataclass(frozen=True)
class App:
    """Settings, the database engine and the metrics of one process (the HTTP client is per
    run)."""

    settings: Settings
    engine: Engine
    config_path: Path | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # Passes (by their ``now``) whose leases could not be given back yet (monitor.store.leases).
    unreleased: list[datetime] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.metrics.watch_database(self.engine)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_app(config_path: str | Path, *, migrate_schema: bool = True) -> App:
    """Load settings and build the engine (relative SQLite paths start at the config's folder)."""
    path = Path(config_path).resolve()
    settings = load_settings(path)
    engine = create_db_engine(settings.database_url, base_dir=path.parent)
    if migrate_schema:
        migrate(engine)
    return App(settings=settings, engine=engine, config_path=path)
