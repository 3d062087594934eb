"""Deliver due alerts from the outbox (owner: alerts)."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.engine import Engine

from monitor.config import Settings


async def dispatch_due(
    engine: Engine, settings: Settings, *, now: datetime, http: httpx.AsyncClient
) -> int:
    """Deliver every due alert; returns how many were delivered."""
    return 0
