"""The fact language: what users write under ``facts:`` in ``feeds.yaml``.

Everything story-specific lives here (unit nouns, subjects, cues, exclusions, country names,
term phrases); the code only knows English in general (numbers, hedges, negations, tense cues).
Phrases are case-insensitive and match whole words; a phrase starting with ``re:`` is a regular
expression. Unit nouns match their plural/singular too.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitor.facts.words import expand

FACT_ID = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
Status = Literal["present", "absent", "removed", "proposed", "disputed"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_phrases(phrases: tuple[str, ...]) -> tuple[str, ...]:
    for p in phrases:
        if not p.strip():
            raise ValueError("empty phrase; remove it")
        if p.startswith("re:"):
            try:
                re.compile(p[3:])
            except re.error as exc:
                raise ValueError(f"{p!r} is not a valid regular expression: {exc}") from exc
    return phrases


class QualifierSpec(_Strict):
    """Values to key a fact by (e.g. the contributing country), each with the words naming it."""

    kind: str = "country"
    names: tuple[tuple[str, tuple[str, ...]], ...] = Field(min_length=1)

    @field_validator("names", mode="before")
    @classmethod
    def _pairs(cls, v: object) -> object:
        # Written as a mapping {canonical name: [words naming it]}; kept as pairs (hashable).
        if isinstance(v, dict):
            return tuple(
                (str(k), tuple(w or ()) if not isinstance(w, str) else (w,)) for k, w in v.items()
            )
        return v

    @field_validator("names")
    @classmethod
    def _phrases(
        cls, v: tuple[tuple[str, tuple[str, ...]], ...]
    ) -> tuple[tuple[str, tuple[str, ...]], ...]:
        for _name, phrases in v:
            _check_phrases(phrases)
        return v


class NumericFactSpec(_Strict):
    """A fact whose value is a number: a ``count`` of things or a ``quantity`` of people/items.

    An amount is an observation of the fact when it counts one of ``units`` (written after it,
    hyphenated as in "26-nation", or before it as in "the number of countries ... is 26"); one
    of ``subjects`` is named in its sentence or the ``subject_window`` sentences before it (or
    in the question it answers; with lower confidence, in the headline of a question-and-answer
    text); one of ``cues`` (if any are given) is stated of the amount itself; and no
    ``exclusions`` phrase is next to it. The article must mention one of ``topic`` (if given).
    With ``subject_in_clause`` the subject must be named in the figure's own clause, like a cue
    ("26 countries pledged *troops*", not "pledged to keep sanctions"). ``defer_cues`` hand an
    amount to another fact (the countries that *pledged* are not the count of members) unless
    the amount is bound to a subject ("a coalition of 35 countries"). With ``since`` (a year),
    a figure its clause dates to an earlier year ("in the 2022 talks, Moscow sought 85,000")
    belongs to an earlier episode, not to the story.
    """

    id: str = Field(pattern=FACT_ID)
    label: str = ""
    kind: Literal["count", "quantity"]
    units: tuple[str, ...] = Field(min_length=1)
    subjects: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    defer_cues: tuple[str, ...] = ()
    topic: tuple[str, ...] = ()
    subject_window: int = Field(default=1, ge=0, le=5)
    subject_in_clause: bool = False
    qualifier: QualifierSpec | None = None
    min_value: int = Field(default=1, ge=0, le=10**15)
    max_value: int = Field(default=10_000_000, ge=1, le=10**15)
    since: int | None = Field(default=None, ge=1000, le=2999)

    @field_validator("units", "subjects", "cues", "exclusions", "defer_cues", "topic")
    @classmethod
    def _phrases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_phrases(v)

    @model_validator(mode="after")
    def _bounds(self) -> NumericFactSpec:
        if self.min_value > self.max_value:
            raise ValueError(
                f"fact {self.id!r}: min_value {self.min_value} is above max_value "
                f"{self.max_value}; swap them or widen the range"
            )
        clash = sorted({p.lower() for p in self.cues} & {p.lower() for p in self.exclusions})
        if clash:
            raise ValueError(
                f"fact {self.id!r}: {clash} are both cues and exclusions; keep each phrase in one"
            )
        return self


STATUSES: tuple[Status, ...] = ("present", "absent", "removed", "proposed", "disputed")


class TermSpec(_Strict):
    """One named term of a ``terms`` fact: the phrases that state it.

    ``context``: when given, a mention counts only if one of these phrases is in its sentence or
    the one before or after (e.g. "first line of defence" only next to "army"). ``statuses``: the
    statuses the term can take; a cue for any other status leaves the mention at
    ``default_status`` (a condition the parties set for themselves is stated, not proposed).
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = ""
    phrases: tuple[str, ...] = Field(min_length=1)
    context: tuple[str, ...] = ()
    default_status: Status = "present"
    statuses: tuple[Status, ...] = STATUSES

    @field_validator("phrases", "context")
    @classmethod
    def _phrases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_phrases(v)

    @model_validator(mode="after")
    def _default_allowed(self) -> TermSpec:
        if self.default_status not in self.statuses:
            raise ValueError(
                f"default_status {self.default_status!r} is not among statuses "
                f"{list(self.statuses)}; add it there"
            )
        return self


class StatusCues(_Strict):
    """Extra cue phrases per status, added to the general English defaults (facts/status.py)."""

    removed: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    disputed: tuple[str, ...] = ()
    proposed: tuple[str, ...] = ()
    present: tuple[str, ...] = ()

    @field_validator("removed", "absent", "disputed", "proposed", "present")
    @classmethod
    def _phrases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_phrases(v)


class TermsFactSpec(_Strict):
    """A fact whose value is a set of terms, each present/absent/removed/proposed/disputed.

    ``subjects``: when given, an article must mention one of them for any term to count (keeps
    another story's mentions out). ``cues``: story-specific status cues. ``words``: named lists
    of phrases that the terms' phrases and contexts use as ``{NAME}`` (facts/words.py).
    """

    id: str = Field(pattern=FACT_ID)
    label: str = ""
    kind: Literal["terms"]
    words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    terms: tuple[TermSpec, ...] = Field(min_length=1)
    subjects: tuple[str, ...] = ()
    cues: StatusCues = StatusCues()

    @model_validator(mode="before")
    @classmethod
    def _expand_words(cls, data: object) -> object:
        if not isinstance(data, dict) or not isinstance(data.get("words"), dict):
            return data
        words: dict[str, tuple[str, ...]] = {}
        for name, phrases in data["words"].items():
            if not re.fullmatch(r"[A-Z][A-Z0-9_]*", str(name)):
                raise ValueError(f"words: {name!r} must be written in capitals, e.g. US or FORCE")
            if isinstance(phrases, str):
                phrases = [phrases]
            if not isinstance(phrases, list) or not phrases:
                raise ValueError(f"words: {name} must be a list of phrases, e.g. {name}: [a, b]")
            words[str(name)] = _check_phrases(tuple(str(p) for p in phrases))
        terms = []
        for term in data.get("terms") or ():
            if isinstance(term, dict):
                term = dict(term)
                for key in ("phrases", "context"):
                    value, where = term.get(key), f"term {term.get('id')!r} {key}"
                    if isinstance(
                        value, list | tuple
                    ):  # anything else: the field says what's wrong
                        term[key] = [
                            expand(p, words, where) if isinstance(p, str) else p for p in value
                        ]
            terms.append(term)
        return {**data, "words": tuple(words.items()), "terms": terms}

    @field_validator("subjects")
    @classmethod
    def _phrases(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _check_phrases(v)

    @model_validator(mode="after")
    def _unique_terms(self) -> TermsFactSpec:
        ids = [t.id for t in self.terms]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate term ids {dupes}; each term must appear once")
        return self


FactSpec = Annotated[NumericFactSpec | TermsFactSpec, Field(discriminator="kind")]
