"""PLACEHOLDER: sub-commands of this module are not written yet."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add this module's sub-commands to the ``monitor`` parser."""
