"""Fact stage quality and speed on the labelled corpora.

    .venv/bin/python bench/facts.py [CORPUS_DIR ...] [--details] [--repeat 5] [--missing]

With no CORPUS_DIR it scores ``../shared/facts/dev`` (the shipped story, with the referee
scorer ``score.py`` beside it, run as a subprocess, and the shipped ``feeds.yaml``) and every
real-text story under ``corpora/real/`` whose texts are present (each with its own
``facts.yaml``, scored by :mod:`monitor.facts.scoring`). A story whose texts are missing or
changed is named with what to do; ``--missing`` lists each missing text's query and url.
Prints per-fact and per-term P/R/F1 per corpus, a summary table, and the speed of the fact
stage (CPU time of ``find_facts`` only, single process) in articles per second per core.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from monitor.config import load_settings
from monitor.facts import find_facts, value_to_json
from monitor.facts.cli import DEFAULT_MENTIONS
from monitor.facts.document import read_document
from monitor.facts.scoring import Report, Scheme, Tally, score
from monitor.facts.spec import FactSpec

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "facts" / "dev"
REAL = REPO / "corpora" / "real"
_ROW = re.compile(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")
_SUMMARY = re.compile(
    r"numeric P ([\d.]+) R ([\d.]+) F1 ([\d.]+) \| terms P ([\d.]+) R ([\d.]+) F1 ([\d.]+)"
)
_HEADER = f"{'fact / term':34} {'gold':>5} {'pred':>5} {'tp':>5} {'P':>6} {'R':>6} {'F1':>6}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", type=Path, help="corpus folders (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="timing passes (default: 5)")
    parser.add_argument("--details", action="store_true", help="also list every error")
    parser.add_argument(
        "--missing", action="store_true", help="list each missing text's query and url"
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="write each real story's score as `now:` in its scores.yaml and rewrite the README's "
        "table of real-news scores from them",
    )
    args = parser.parse_args(argv)

    folders = list(args.corpora) or [DEV, *sorted(p for p in REAL.glob("*") if p.is_dir())]
    summary: list[tuple[str, int, Tally, Tally]] = []
    timed: list[tuple[str, tuple[FactSpec, ...]]] = []
    for folder in folders:
        if (folder / "manifest.yaml").exists() and not (folder / "gold.yaml").exists():
            print(f"\n{folder.name}: no gold.yaml yet (not labelled); skipped")
            continue
        if (folder / "manifest.yaml").exists():
            texts, problems = _real_texts(folder)
            if problems:
                print(
                    f"\n{folder.name}: {len(problems)} of {len(texts) + len(problems)} texts "
                    "missing or changed; re-acquire them (corpora/real/README.md)"
                )
                if args.missing:
                    print("\n".join(f"  {p}" for p in problems))
                if not texts:
                    continue
            facts = load_settings(folder / "facts.yaml").facts
            gold = yaml.safe_load((folder / "gold.yaml").read_text(encoding="utf-8")) or []
            present = {a for a, _ in texts}
            gold = [g for g in gold if str(g["id"]) in present]
            report = score(gold, _predict(texts, facts), Scheme.from_facts(facts))
            print(f"\n== {folder.name} ({len(texts)} texts, own facts.yaml)")
            _print_report(report, args.details)
            summary.append((folder.name, len(texts), report.numeric, report.terms_total))
        elif (folder / "articles").is_dir():
            facts = load_settings(REPO / "feeds.yaml").facts
            texts = _dev_texts(folder)
            print(f"\n== {folder.name} ({len(texts)} texts, feeds.yaml, referee scorer)")
            num, trm = _referee(folder, texts, facts, args.details)
            summary.append((folder.name, len(texts), num, trm))
        else:
            print(f"\n{folder.name}: no manifest.yaml or articles/ yet; skipped")
            continue
        timed += [(t, facts) for _, t in texts]

    if args.record:
        _record({name: (num, trm) for name, _, num, trm in summary})
    print(f"\n{'corpus':28} {'texts':>5}  {'numeric P / R / F1':>20}  {'terms P / R / F1':>20}")
    for name, n, num, trm in summary:
        print(f"{name:28} {n:5}  {_prf(num):>20}  {_prf(trm):>20}")
    rate = _speed(timed, args.repeat)
    print(
        f"\nspeed     {rate:.0f} articles/s per core (fact stage, {len(timed)} articles "
        f"x {args.repeat}, CPU time)"
    )
    return 0


def _record(scores: dict[str, tuple[Tally, Tally]]) -> None:
    """`now:` in each story's scores.yaml, and the README table rebuilt from all of them."""
    rows = []
    for folder in sorted(p for p in REAL.glob("*") if (p / "scores.yaml").exists()):
        path = folder / "scores.yaml"
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if folder.name in scores:
            num, trm = scores[folder.name]
            now = f"now: {{numeric: {_flow(num)}, terms: {_flow(trm)}}}\n"
            kept = [line for line in text.splitlines(keepends=True) if not line.startswith("now:")]
            path.write_text("".join(kept) + now, encoding="utf-8")
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8")) or []
        outlets = len({str(e.get("outlet") or e.get("url", "")).lower() for e in manifest})
        rows.append((data.get("order", 99), data.get("title", folder.name), outlets, data))
    lines = [
        "| story (order labelled) | outlets | blind numeric | blind terms | now numeric "
        "| now terms |",
        "|---|---|---|---|---|---|",
    ]
    for _, title, outlets, data in sorted(rows, key=lambda r: r[0]):
        blind, now = data["blind"], data.get("now", data["blind"])
        lines.append(
            f"| {title} | {outlets} | {blind['numeric']['f1']:.2f} | {blind['terms']['f1']:.2f} "
            f"| {now['numeric']['f1']:.2f} | {now['terms']['f1']:.2f} |"
        )
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, rest = text.split("<!-- real-scores -->\n", 1)
    _, tail = rest.split("<!-- /real-scores -->", 1)
    readme.write_text(
        head + "<!-- real-scores -->\n" + "\n".join(lines) + "\n<!-- /real-scores -->" + tail,
        encoding="utf-8",
    )


def _flow(t: Tally) -> str:
    return f"{{p: {t.precision:.2f}, r: {t.recall:.2f}, f1: {t.f1:.2f}}}"


def _prf(t: Tally) -> str:
    return f"{t.precision:.2f} / {t.recall:.2f} / {t.f1:.2f}"


def _dev_texts(folder: Path) -> list[tuple[str, str]]:
    files = sorted((folder / "articles").glob("*.txt"))
    if not files:
        sys.exit(f"bench: no articles under {folder / 'articles'}")
    return [(f.stem, f.read_text(encoding="utf-8")) for f in files]


def _real_texts(folder: Path) -> tuple[list[tuple[str, str]], list[str]]:
    import hashlib

    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8")) or []
    texts, problems = [], []
    for entry in manifest:
        path = folder / "texts" / f"{entry['id']}.txt"
        where = f"{entry['id']}: query {entry.get('query')!r}, url {entry.get('url')}"
        if not path.exists():
            problems.append(f"missing {where}")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problems.append(f"changed {where}")
            continue
        texts.append((str(entry["id"]), data.decode("utf-8")))
    return texts, problems


def _predict(texts: list[tuple[str, str]], facts: tuple[FactSpec, ...]) -> list[dict[str, Any]]:
    rows = []
    for article, text in texts:
        for f in find_facts(text, facts):
            if f.mention in DEFAULT_MENTIONS:
                rows.append(
                    {
                        "article": article,
                        "fact": f.fact,
                        "value": value_to_json(f.value),
                        "qualifier": f.qualifier,
                        "term": f.term,
                        "status": f.status,
                    }
                )
    return rows


def _print_report(report: Report, details: bool) -> None:
    print(_HEADER)
    rows = [
        *sorted(report.facts.items()),
        *(("term " + k, v) for k, v in sorted(report.terms.items())),
    ]
    for name, t in rows:
        print(
            f"{name:34} {t.gold:5} {t.pred:5} {t.tp:5} "
            f"{t.precision:6.3f} {t.recall:6.3f} {t.f1:6.3f}"
        )
    if details:
        print("\n".join("  " + e for e in report.errors))
    print(f"errors    {len(report.errors)}")


def _referee(
    folder: Path, texts: list[tuple[str, str]], facts: tuple[FactSpec, ...], details: bool
) -> tuple[Tally, Tally]:
    rows = _predict(texts, facts)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        out.write("".join(json.dumps(r) + "\n" for r in rows))
    scorer = folder.parent / "score.py"
    cmd = [sys.executable, str(scorer), str(folder / "gold.yaml"), out.name, "--details"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    Path(out.name).unlink()
    print(_HEADER)
    errors, summary = [], None
    for line in result.stdout.splitlines():
        row = _ROW.match(line)
        if row and row.group(1) != "fact":
            name, gold, pred, tp, p, r, f1 = row.groups()
            print(f"{name:34} {gold:>5} {pred:>5} {tp:>5} {p:>6} {r:>6} {f1:>6}")
        elif line.startswith("  "):
            errors.append(line)
        elif _SUMMARY.search(line):
            summary = _SUMMARY.search(line)
    if summary is None:
        sys.exit(f"bench: unexpected scorer output:\n{result.stdout}{result.stderr}")
    if details:
        print("\n".join(errors))
    print(f"errors    {len(errors)}")
    # The referee prints ratios only; rebuild tallies with the same ratios for the summary.
    np_, nr, _nf, tp_, tr, _tf = (float(x) for x in summary.groups())
    return _tally(np_, nr), _tally(tp_, tr)


def _tally(p: float, r: float) -> Tally:
    scale = 1000
    tp = round(r * scale)
    return Tally(tp=tp, gold=scale, pred=round(tp / p) if p else (0 if tp == 0 else scale))


def _speed(timed: list[tuple[str, tuple[FactSpec, ...]]], repeat: int) -> float:
    elapsed = 0.0
    for _ in range(repeat):
        read_document.cache_clear()  # every pass reads every article afresh
        t0 = time.process_time()
        for text, facts in timed:
            find_facts(text, facts)
        elapsed += time.process_time() - t0
    return len(timed) * repeat / elapsed


if __name__ == "__main__":
    sys.exit(main())
