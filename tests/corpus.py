"""Readers and scores for the third-party corpora in ``../shared/corpora`` (read, never copied)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from functools import cache

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
