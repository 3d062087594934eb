"""Fact stage quality and speed on a labelled corpus (default: ../shared/facts/dev).

    .venv/bin/python bench/facts.py [CORPUS_DIR] [--config feeds.yaml] [--repeat 5]

Reads every article file, times only ``find_facts`` (single process; CPU time, so other load on
the machine does not count against it), writes the observations the way ``monitor extract``
prints them, scores them with the referee scorer (``score.py`` beside the corpus, run as a
subprocess) and prints per-fact and per-term P/R/F1, numeric F1, terms F1 and articles/s.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from monitor.config import load_settings
from monitor.facts import find_facts, value_to_json
from monitor.facts.cli import DEFAULT_MENTIONS
from monitor.facts.document import read_document

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "facts" / "dev"
_ROW = re.compile(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")
_SUMMARY = re.compile(
    r"numeric P ([\d.]+) R ([\d.]+) F1 ([\d.]+) \| terms P ([\d.]+) R ([\d.]+) F1 ([\d.]+)"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEV)
    parser.add_argument("--config", default=str(REPO / "feeds.yaml"))
    parser.add_argument("--repeat", type=int, default=5, help="timing passes (default: 5)")
    parser.add_argument("--details", action="store_true", help="also list every error")
    args = parser.parse_args(argv)

    settings = load_settings(args.config)
    files = sorted((args.corpus / "articles").glob("*.txt"))
    texts = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
    if not texts:
        sys.exit(f"bench: no articles under {args.corpus / 'articles'}")

    rows = []
    for article, text in texts:
        for f in find_facts(text, settings.facts):
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

    elapsed = 0.0
    for _ in range(args.repeat):
        read_document.cache_clear()  # every pass reads every article afresh
        t0 = time.process_time()
        for _article, text in texts:
            find_facts(text, settings.facts)
        elapsed += time.process_time() - t0
    rate = len(texts) * args.repeat / elapsed

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out:
        out.write("".join(json.dumps(r) + "\n" for r in rows))
    scorer = args.corpus.parent / "score.py"
    cmd = [sys.executable, str(scorer), str(args.corpus / "gold.yaml"), out.name, "--details"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    Path(out.name).unlink()

    print(f"{'fact / term':30} {'gold':>5} {'pred':>5} {'tp':>5} {'P':>6} {'R':>6} {'F1':>6}")
    errors = []
    summary = None
    for line in result.stdout.splitlines():
        row = _ROW.match(line)
        if row and row.group(1) != "fact":
            name, gold, pred, tp, p, r, f1 = row.groups()
            print(f"{name:30} {gold:>5} {pred:>5} {tp:>5} {p:>6} {r:>6} {f1:>6}")
        elif line.startswith("  "):
            errors.append(line)
        elif _SUMMARY.search(line):
            summary = _SUMMARY.search(line)
    if summary is None:
        sys.exit(f"bench: unexpected scorer output:\n{result.stdout}{result.stderr}")
    if args.details:
        print("\n".join(errors))
    np, nr, nf, tp_, tr, tf = summary.groups()
    print(f"\nnumeric   P {np}  R {nr}  F1 {nf}")
    print(f"terms     P {tp_}  R {tr}  F1 {tf}")
    print(f"errors    {len(errors)}")
    print(
        f"speed     {rate:.0f} articles/s per core (fact stage, {len(texts)} articles "
        f"x {args.repeat}, CPU time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
