"""A text that runs every fact's patterns, so that a fresh process pays for compiling them once."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.facts.spec import FactSpec, NumericFactSpec


def _plain(phrases: Sequence[str]) -> str:
    return next((p for p in phrases if not p.startswith("re:")), "")


def warm_up_text(specs: Sequence[FactSpec]) -> str:
    """Sentences naming each fact's topic, subjects, cues, units and terms, with figures.

    The finders compile their patterns when a text first needs them (about 0.1 s of CPU per
    process on the bundled facts); finding facts in this text does it ahead of real pages.
    """
    # Phrases written as regular expressions are skipped: the plain ones reach the same code.
    sentences: list[str] = []
    for spec in specs:
        if isinstance(spec, NumericFactSpec):
            lead = " ".join(p for p in map(_plain, (spec.topic, spec.subjects, spec.cues)) if p)
            unit = _plain(spec.units)
            sentences.append(f"{lead} 26 {unit} on Monday, up from twenty {unit} in 2024.")
            sentences.append(f"Officials said no {unit} had yet been agreed, not 30 {unit}.")
        else:
            subject = _plain(spec.subjects)
            for phrase in filter(None, (_plain(term.phrases) for term in spec.terms)):
                sentences.append(f"{subject} leaders agreed the {phrase}, they said.")
                sentences.append(f"A draft proposed a {phrase}, but it was later dropped.")
    return " ".join(sentences)
