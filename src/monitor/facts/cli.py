"""``monitor extract``: run the fact stage over text or HTML files and print the observations."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from monitor.errors import ExtractError, MonitorError
from monitor.facts.spec import FactSpec

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".html", ".htm")
# Earlier real figures are observations too (the labelled corpora count them, and the change
# stage keeps them as history); denied figures only with --all.
DEFAULT_MENTIONS = frozenset({"current", "corrected", "historical"})
KEYS = (
    "article",
    "fact",
    "value",
    "qualifier",
    "term",
    "status",
    "mention",
    "confidence",
    "text",
    "sentence",
    "start",
    "end",
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``monitor extract`` to the ``monitor`` parser."""
    p = sub.add_parser(
        "extract",
        help="find the tracked facts in .txt/.html files or folders of them",
        description="Print one observation per line (JSON) or a table. HTML goes through the "
        "same article extraction as the pipeline.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders of .txt/.html")
    p.add_argument(
        "--config",
        dest="extract_config",
        default=None,
        metavar="FILE",
        help="configuration with the facts (default: the global --config)",
    )
    p.add_argument(
        "--format",
        choices=("jsonl", "table"),
        default="jsonl",
        help="jsonl: one JSON object per observation (default); table: for reading",
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="also print denied figures (default: current, corrected and historical ones)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="for every figure and term mention, say whether it became an observation and, "
        "if not, which rule dropped it (no unit, no subject nearby, an exclusion, out of "
        "range, ...): how to fix a fact definition",
    )
    p.set_defaults(func=_cmd_extract)


def _cmd_extract(args: argparse.Namespace) -> int:
    from monitor.config import load_settings
    from monitor.facts import find_facts, value_to_json

    settings = load_settings(args.extract_config or args.config)
    if not settings.facts:
        raise MonitorError(
            f"extract: {args.extract_config or args.config} defines no facts; add some under "
            "`facts:` (README: Writing facts)"
        )
    files = list(_files(args.paths))
    failed = 0
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            text = _read(path)
        except (ExtractError, OSError) as exc:
            failed += 1
            sys.stderr.write(f"monitor: extract: {path}: skipped: {exc}\n")
            continue
        if args.explain:
            _explain(path.stem, text, settings.facts)
            continue
        for f in find_facts(text, settings.facts):
            if not args.all and f.mention not in DEFAULT_MENTIONS:
                continue
            row = {
                "article": path.stem,
                "fact": f.fact,
                "value": value_to_json(f.value),
                "qualifier": f.qualifier,
                "term": f.term,
                "status": f.status,
                "mention": f.mention,
                "confidence": f.confidence,
                "text": f.text,
                "sentence": f.sentence,
                "start": f.start,
                "end": f.end,
            }
            if args.format == "jsonl":
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                rows.append(row)
    if args.format == "table":
        _table(rows)
    log.info("extract: %d files, %d failed", len(files), failed, extra={"stage": "facts"})
    return 1 if failed else 0


def _explain(article: str, text: str, facts: Sequence[FactSpec]) -> None:
    from monitor.facts.explain import explain

    sys.stdout.write(f"== {article}\n")
    for e in explain(text, facts):
        sys.stdout.write("  " + e.line().replace("\n", " ") + "\n")


def _files(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES)
            if not found:
                raise MonitorError(
                    f"extract: folder {path} holds no .txt or .html files; pass article files"
                )
            yield from found
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise MonitorError(
                    f"extract: {path} is neither .txt nor .html; rename it or pass a folder"
                )
            yield path
        else:
            raise MonitorError(f"extract: {path}: no such file or folder; check the path")


def _read(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix.lower() == ".txt":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ExtractError(f"extract: {path} is not UTF-8 text ({exc.reason})") from exc
    from monitor.extract import extract_article

    return extract_article(data, path.resolve().as_uri()).text


def _table(rows: list[dict[str, Any]]) -> None:
    cols = ("article", "fact", "value", "qualifier", "term", "status", "mention", "confidence")
    cells = [[_cell(r[c]) for c in cols] + [_cell(r["text"])] for r in rows]
    header = [*cols, "text"]
    widths = [max([len(h)] + [len(c[k]) for c in cells]) for k, h in enumerate(header)]
    for line in [header, *cells]:
        sys.stdout.write("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        sys.stdout.write("\n")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join("null" if v is None else str(v) for v in value) + "]"
    return str(value).replace("\n", " ")[:70]
