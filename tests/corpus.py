"""Readers and scores for the third-party corpora in ``../shared/corpora`` (read, never copied)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from .conftest import SHARED

AEB = SHARED / "corpora" / "article-extraction-benchmark"


@cache
def aeb_pages() -> dict[str, bytes]:
    """The 181 article-extraction-benchmark pages by id, decompressed."""
    return {
        f.name.removesuffix(".html.gz"): gzip.decompress(f.read_bytes())
        for f in sorted((AEB / "html").glob("*.html.gz"))
    }


@cache
def aeb_truth() -> dict[str, str]:
    """The gold article text of each page."""
    data = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    return {k: v["articleBody"] for k, v in data.items()}


def token_f1(predictions: dict[str, str], truth: dict[str, str]) -> float:
    """Macro token F1 over pages: bags of lower-cased whitespace tokens (PEERS.md, "bag")."""
    precisions, recalls = [], []
    for key, gold_text in truth.items():
        pred, gold = (
            Counter(predictions.get(key, "").lower().split()),
            Counter(gold_text.lower().split()),
        )
        tp = sum((pred & gold).values())
        if pred:
            precisions.append(tp / sum(pred.values()))
        if gold:
            recalls.append(tp / sum(gold.values()))
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    return 2 * p * r / (p + r)


def score_backtest(events: list[dict[str, Any]], tmp_path: Path) -> tuple[int, int, int, str]:
    """The referee's score of backtest ``events`` on the dev timeline: (found, expected,
    spurious, its whole output)."""
    out = tmp_path / "events.json"
    out.write_text(json.dumps(events))
    score = subprocess.run(
        [
            sys.executable,
            str(SHARED / "facts/score_backtest.py"),
            str(SHARED / "facts/dev/timeline.yaml"),
            str(out),
            "--details",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    last = score.stdout.strip().splitlines()[-1]
    found, total = last.split("found ")[1].split(",")[0].split("/")
    return int(found), int(total), int(last.rsplit(" ", 1)[1]), score.stdout
