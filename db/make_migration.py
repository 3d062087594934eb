"""Autogenerate an Alembic migration (into src/monitor/migrations/versions) from the models.

    python db/make_migration.py "message" [REV_ID]

While the project is unreleased the initial migration may be regenerated instead:
delete ``src/monitor/migrations/versions/0001_initial_schema.py``, then run
``python db/make_migration.py "initial schema" 0001``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from monitor.store import alembic_config, create_db_engine, migrate


def main() -> None:
    message = sys.argv[1]
    rev_id = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{Path(tmp) / 'rev.sqlite'}")
        migrate(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True, rev_id=rev_id)


if __name__ == "__main__":
    main()
