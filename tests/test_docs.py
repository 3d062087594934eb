"""The README stays true: every command and every setting is documented there."""

from __future__ import annotations

import argparse

from pydantic import BaseModel

from monitor.cli import build_parser
from monitor.config import Settings

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


def test_every_command_is_documented() -> None:
    missing = [c for c in _commands() if f"monitor {c}" not in README]
    assert not missing, f"README does not document: {missing}"


def test_every_command_has_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert all(helps.get(c) for c in _commands()), helps


def _keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        out.append(prefix + name)
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out += _keys(ann, prefix + name + ".")
    return out


def test_every_top_level_and_scheduling_setting_is_documented() -> None:
    keys = [k for k in _keys(Settings) if k.split(".")[0] in {"database_url", "defaults", "fetch"}]
    missing = [k for k in keys if f"`{k}`" not in README and k.split(".")[-1] not in README]
    assert not missing, f"README does not document: {missing}"
    for top in Settings.model_fields:
        assert f"`{top}" in README, f"README does not mention the `{top}` section"
