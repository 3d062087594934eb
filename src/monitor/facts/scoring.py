"""Scoring observations against a labelled corpus, for any story's facts.

The format of a labelled corpus is ``../shared/facts/SCHEMA.md``'s; the referee scorer beside it
knows only the shipped story's fact ids. This one takes them from the configuration: a
``kind: terms`` fact is scored as (article, fact, term, status), every other fact as distinct
(article, fact, value, qualifier) matched one to one, the qualifier only for facts that define
one (compared without case, a configured alias counting as its canonical name). A range
matches an overlapping range or an integer inside it, as the referee does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.facts.spec import FactSpec, TermsFactSpec

Item = tuple[str, Any, str | None]  # fact, value (int or [low, high]), qualifier


@dataclass
class Tally:
    """True positives, gold items and predicted items of one row."""

    tp: int = 0
    gold: int = 0
    pred: int = 0

    def add(self, tp: int, gold: int, pred: int) -> None:
        """Count one article's matching."""
        self.tp, self.gold, self.pred = self.tp + tp, self.gold + gold, self.pred + pred

    @property
    def precision(self) -> float:
        """tp / pred (1 when nothing was predicted and nothing was there)."""
        return self.tp / self.pred if self.pred else (1.0 if not self.gold else 0.0)

    @property
    def recall(self) -> float:
        """tp / gold (1 when there was nothing to find)."""
        return self.tp / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Per-fact and per-term tallies, their totals, and every miss and extra."""

    facts: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    terms: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    numeric: Tally = field(default_factory=Tally)
    terms_total: Tally = field(default_factory=Tally)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Scheme:
    """What the configuration says about scoring: which facts are terms, which are qualified."""

    terms_facts: frozenset[str]
    qualified: frozenset[str]
    aliases: Mapping[str, str]

    @classmethod
    def from_facts(cls, facts: Sequence[FactSpec]) -> Scheme:
        """The scheme of a configuration's ``facts:``."""
        aliases: dict[str, str] = {}
        qualified = set()
        for spec in facts:
            if isinstance(spec, TermsFactSpec) or spec.qualifier is None:
                continue
            qualified.add(spec.id)
            for name, words in spec.qualifier.names:
                for word in (name, *words):
                    if not word.startswith("re:"):
                        aliases[word.strip().lower()] = name.lower()
        return cls(
            terms_facts=frozenset(s.id for s in facts if isinstance(s, TermsFactSpec)),
            qualified=frozenset(qualified),
            aliases=aliases,
        )

    def qualifier(self, fact: str, q: object) -> str | None:
        """``q`` as compared: None for an unqualified fact, else lower case and canonical."""
        if fact not in self.qualified or q is None:
            return None
        key = str(q).strip().lower()
        return self.aliases.get(key, key) or None


def _range(value: object) -> tuple[float, float] | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value), float(value)
    if isinstance(value, list | tuple) and len(value) == 2:
        lo, hi = value
        return (
            float("-inf") if lo is None else float(lo),
            float("inf") if hi is None else float(hi),
        )
    return None


def values_match(a: object, b: object) -> bool:
    """Whether two values (integers or ``[low, high]`` ranges) overlap."""
    ra, rb = _range(a), _range(b)
    return ra is not None and rb is not None and ra[0] <= rb[1] and rb[0] <= ra[1]


def _match(gold: list[Item], pred: list[Item]) -> tuple[int, list[Item], list[Item]]:
    left = list(pred)
    tp, missed = 0, []
    for g in gold:
        hit = next((p for p in left if values_match(g[1], p[1]) and g[2] == p[2]), None)
        if hit is None:
            missed.append(g)
        else:
            tp += 1
            left.remove(hit)
    return tp, missed, left


def _freeze(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def score(
    gold: Iterable[Mapping[str, Any]], predictions: Iterable[Mapping[str, Any]], scheme: Scheme
) -> Report:
    """Score ``predictions`` (rows as ``monitor extract`` prints them) against ``gold`` entries."""
    articles: set[str] = set()
    g_num: dict[tuple[str, str], list[Item]] = defaultdict(list)
    g_terms: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for entry in gold:
        art = str(entry["id"])
        articles.add(art)
        for f in entry.get("facts") or ():
            _add(g_num, g_terms, art, f, scheme)
    p_num: dict[tuple[str, str], list[Item]] = defaultdict(list)
    p_terms: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for row in predictions:
        art = str(row.get("article", ""))
        if art in articles and row.get("fact"):
            _add(p_num, p_terms, art, row, scheme)

    report = Report()
    for art, fact in sorted(set(g_num) | set(p_num)):
        g, p = g_num.get((art, fact), []), p_num.get((art, fact), [])
        tp, missed, extra = _match(g, p)
        report.facts[fact].add(tp, len(g), len(p))
        report.numeric.add(tp, len(g), len(p))
        report.errors += [f"missed  {art} {fact} {v} {q or ''}".rstrip() for _, v, q in missed]
        report.errors += [f"extra   {art} {fact} {v} {q or ''}".rstrip() for _, v, q in extra]
    for art in sorted(articles):
        g_set, p_set = g_terms.get(art, set()), p_terms.get(art, set())
        for fact, term, status in sorted(g_set | p_set):
            key = (fact, term, status)
            tp, ng, npred = int(key in g_set and key in p_set), int(key in g_set), int(key in p_set)
            report.terms[f"{fact}:{term}"].add(tp, ng, npred)
            report.terms_total.add(tp, ng, npred)
            if ng and not tp:
                report.errors.append(f"missed  {art} {fact} {term} {status}")
            if npred and not tp:
                report.errors.append(f"extra   {art} {fact} {term} {status}")
    return report


def _add(
    numeric: dict[tuple[str, str], list[Item]],
    terms: dict[str, set[tuple[str, str, str]]],
    art: str,
    f: Mapping[str, Any],
    scheme: Scheme,
) -> None:
    fact = str(f["fact"])
    if fact in scheme.terms_facts:
        terms[art].add((fact, str(f.get("term")), str(f.get("status"))))
        return
    item = (fact, _freeze(f.get("value")), scheme.qualifier(fact, f.get("qualifier")))
    if item not in numeric[(art, fact)]:
        numeric[(art, fact)].append(item)
