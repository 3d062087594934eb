"""Fact definitions as written under ``facts:`` in ``feeds.yaml``.

PLACEHOLDER written by the skeleton; the fact-stage owner replaces it with the full fact language.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NumericFactSpec(_Strict):
    """A fact whose value is a number (``count`` or ``quantity``)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
    label: str = ""
    kind: Literal["count", "quantity"]
    units: tuple[str, ...] = Field(min_length=1)
    subjects: tuple[str, ...] = ()


class TermSpec(_Strict):
    """One named term of a ``terms`` fact."""

    id: str
    label: str = ""
    phrases: tuple[str, ...] = Field(min_length=1)


class TermsFactSpec(_Strict):
    """A fact whose value is a set of terms, each with a status."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
    label: str = ""
    kind: Literal["terms"]
    terms: tuple[TermSpec, ...] = Field(min_length=1)


FactSpec = Annotated[NumericFactSpec | TermsFactSpec, Field(discriminator="kind")]
