"""Every command's --help, rendered as a user sees it: plain words, and help for every option."""

from __future__ import annotations

import argparse
import re

import pytest

from monitor.cli import build_parser

# Sphinx roles (:func:`x`), reST literals (``x``) and leftover markup are not for terminals.
MARKUP = re.compile(r":(func|class|meth|mod|data|attr|exc|obj):`|``|\.\. \w+::")


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **sub.choices}


@pytest.mark.parametrize("name", sorted(_commands()))
def test_help_is_plain_words_and_every_option_is_explained(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = _commands()[name]
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert not MARKUP.search(text), f"monitor {name} --help shows markup:\n{text}"
    unexplained = [
        "/".join(a.option_strings) or a.dest
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction)
        and a.help is None
        and not isinstance(a, argparse._HelpAction)
    ]
    assert not unexplained, f"monitor {name}: options without help: {unexplained}"
