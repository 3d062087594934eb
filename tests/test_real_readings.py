"""Readings that real news needs, as table-driven cases in our own words (issue: read facts in
real news). Each row is a construction found in published articles, paraphrased with invented
names and numbers; the facts are tests/data/readings/facts.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config import load_settings
from monitor.facts import find_facts, value_to_json

FACTS = load_settings(Path(__file__).parent / "data" / "readings" / "facts.yaml").facts
CURRENT = {"current", "corrected", "historical"}


def _numeric(text: str, fact: str) -> set[tuple[Any, str | None]]:
    out = set()
    for f in find_facts(text, FACTS):
        if f.fact == fact and f.mention in CURRENT:
            v = value_to_json(f.value)
            out.add((tuple(v) if isinstance(v, list) else v, f.qualifier))
    return out


NUMERIC = [
    # a phrasal verb is not a bound
    (
        "phrasal-handed-over",
        "inquiry.files",
        "The agency handed over 40 files to the inquiry on Monday.",
        {(40, None)},
    ),
    (
        "phrasal-took-over",
        "inquiry.files",
        "Investigators took over 3 sites near the port, the agency said.",
        {(3, None)},
    ),
    (
        "real-over-still-a-bound",
        "inquiry.files",
        "The inquiry has received over 40 files so far.",
        {((41, None), None)},
    ),
    # what remains is a count of its own, not an increment
    (
        "remaining-is-a-count",
        "inquiry.files",
        "The agency still holds 12 remaining files from the inquiry.",
        {(12, None)},
    ),
    # coordinated figures, each with its category
    (
        "coordinated-with-categories",
        "city.nurses",
        "The city will hire 300 nurses on permanent contracts as well as 1,500 temporary staff.",
        {(300, "permanent"), (1500, "temporary")},
    ),
    # hyphenated and stacked modifiers
    (
        "hyphenated-modifier",
        "city.nurses",
        "Hospitals in the city want 450 full-time nurses by June.",
        {(450, None)},
    ),
    (
        "stacked-modifiers",
        "bloc.countries",
        "The pact was signed by 26 European partner countries at the summit.",
        {(26, None)},
    ),
    # an adjective that matches a unit word does not make its noun a unit
    (
        "adjective-of-unit",
        "rebels.fighters",
        "The offensive in the region has emptied 80 Kurdish villages.",
        set(),
    ),
    (
        "unit-still-counted",
        "rebels.fighters",
        "About 2,000 Kurds joined the offensive in the region.",
        {(2000, None)},
    ),
    # increments and parts are not totals
    (
        "two-more",
        "bloc.countries",
        "Two more signed the pact on Friday, bringing in new members.",
        set(),
    ),
    ("another-n", "bloc.countries", "Another 5 countries are expected to join the pact.", set()),
    (
        "one-of-the-n",
        "bloc.countries",
        "One of the eight countries at the summit walked out.",
        {(8, None)},
    ),
    # levels reached
    ("toll-reached", "quake.toll", "The earthquake's toll has reached 1,200 dead.", {(1200, None)}),
    (
        "toll-passed",
        "quake.toll",
        "The death toll from the quake has passed 3,000.",
        {((3001, None), None)},
    ),
    (
        "toll-surpassed",
        "quake.toll",
        "The quake's death toll surpassed 3,000 on Tuesday.",
        {((3001, None), None)},
    ),
    (
        "above-the-mark",
        "quake.toll",
        "The death toll from the earthquake rose above the 5,000 mark overnight.",
        {((5001, None), None)},
    ),
    (
        "does-not-exceed",
        "police.officers",
        "Under the plan the agency's staff does not exceed 90,000 officers.",
        {((None, 90000), None)},
    ),
    # sentence-initial adverbials and datelines
    (
        "initial-adverbial",
        "quake.toll",
        "Today, almost 2,000 people killed in the earthquake have been identified.",
        {((None, 1999), None)},
    ),
    (
        "dateline",
        "mission.troops",
        "OSLO, Norway - The mission will number 4,000 troops, officials said.",
        {(4000, None)},
    ),
    # the place where something happens is not a contributor
    (
        "place-not-contributor",
        "mission.troops",
        "Planners meeting in Oslo and Madrid cut the force to 15,000 troops.",
        {(15000, None)},
    ),
    (
        "contributor-still-read",
        "mission.troops",
        "Norway will send 800 troops to the mission.",
        {(800, "Norway")},
    ),
    # "the latter" / "the former"
    (
        "the-latter",
        "mission.troops",
        "Spain and Austria discussed the mission. The latter could send 300 troops.",
        {(300, "Austria")},
    ),
    # a relative clause's antecedent owns its figure
    (
        "relative-antecedent",
        "mission.troops",
        "The mission drew on Spain and on Norway, which sent 600 troops.",
        {(600, "Norway")},
    ),
    # a counterfactual and a difference are not figures of the fact
    (
        "counterfactual",
        "vote.seats",
        "Polls suggest the party could win 50 seats if an election were held now.",
        set(),
    ),
    (
        "difference-ahead-of",
        "vote.seats",
        "In the election it won 35 seats, 10 seats ahead of its closest rival.",
        {(35, None)},
    ),
    (
        "margin-of-error",
        "vote.seats",
        "The election exit poll has a margin of error of two seats.",
        set(),
    ),
    (
        "and-then-more-than",
        "quake.toll",
        "The earthquake left 120 dead and destroyed more than 3,000 homes.",
        {(120, None)},
    ),
    # a joint key after the noun is no one's own
    (
        "joint-key-after",
        "flu.cases",
        "The flu outbreak has passed 220 cases in Ohio and New Jersey.",
        {((221, None), None)},
    ),
    # a figure with its own noun and cue needs the story's subject only in its paragraph
    (
        "cue-and-noun-subject-in-paragraph",
        "quake.hospital",
        "The earthquake struck at dawn. Rescue teams worked all day. Roads were cut. "
        "Nine patients have been hospitalized.",
        {(9, None)},
    ),
    # a list of figures shares the unit written after the last; "respectively" pairs it with
    # the names in order (the list is the last names of the sentence before)
    (
        "respectively",
        "poll.seats",
        "The Golds hope to win over the Reds, the Greens and the Blues. "
        "The three are projected to win 24, 20 and 7 seats, respectively.",
        {(24, "Reds"), (20, "Greens"), (7, "Blues")},
    ),
    # ages, breakdowns by name and clauses dated by "since YEAR, when" are not the figure
    (
        "age",
        "flu.cases",
        "The flu outbreak is most dangerous for patients over 65, doctors said.",
        set(),
    ),
    (
        "breakdown-by-name",
        "bloc.countries",
        "The pact now counts 19 countries, including Chile (1) and Peru (3).",
        {(19, None)},
    ),
    (
        "the-other-two",
        "quake.toll",
        "The quake killed 40 people in the city. The other two deaths were on the coast.",
        set(),
    ),
    # coordinated figures share one verb: the cue after the second is said of the first too,
    # with each figure's own category after its noun
    (
        "coordinated-share-the-verb",
        "swap.inmates",
        "In the swap, 120 inmates serving long terms as well as 900 convicts on remand "
        "will be freed.",
        {(120, "long terms"), (900, "remand")},
    ),
    (
        "in-exchange-for",
        "swap.inmates",
        "The navy released 12 sailors in exchange for nearly 300 inmates in the swap.",
        {((None, 299), None)},
    ),
    (
        "and-n-in-the-second",
        "swap.sailors",
        "The navy handed over 4 sailors in the first group and 9 in the second.",
        {(4, None), (9, None)},
    ),
    # "early July" dates a figure, it does not make it an earlier one; a second verb joined by
    # "and" belongs to the next figure
    (
        "early-month-and-next-predicate",
        "quake.hospital",
        "The earthquake in early July hospitalized about 100 people and killed two.",
        {(100, None)},
    ),
    # a figure whose noun comes in the next sentence
    (
        "noun-in-next-sentence",
        "police.officers",
        "A ceiling of 90,000. That is how many officers the agency may keep under the plan.",
        {(90000, None)},
    ),
    # compound vague amounts
    (
        "up-to-several-tens-of-thousands",
        "mission.troops",
        "The force could include up to several tens of thousands of troops.",
        {((None, 99999), None)},
    ),
    (
        "more-than-two-dozen",
        "bloc.countries",
        "More than two dozen countries attended the summit.",
        {((25, None), None)},
    ),
    # real text writes curly apostrophes; a weight in pounds is no money
    (
        "curly-apostrophe-and-pounds-of",
        "recall.pounds",
        "Miller’s Farm recalled 12,000 pounds of sausage.",
        {(12000, None)},
    ),
    # a rate is no amount; a share won of a whole is
    ("rate", "flu.cases", "In the outbreak, one in five patients needed care.", set()),
    (
        "share-of-a-whole",
        "vote.seats",
        "The party won 37 of the 150 seats in the election.",
        {(37, None)},
    ),
    (
        "share-out-of",
        "vote.seats",
        "After the election it holds 41 out of 150 seats.",
        {(41, None)},
    ),
    # a key after the noun, through a verb phrase; an exclusion inside a name does not exclude
    (
        "key-after-verb-phrase",
        "flu.cases",
        "The flu outbreak grew: 43 cases have been reported in Ohio and 12 in New Jersey.",
        {(43, "Ohio"), (12, "New Jersey")},
    ),
    # a pronoun subject takes the one name of the sentence before
    (
        "pronoun-takes-the-name-before",
        "flu.cases",
        "Ohio tightened its rules. It has now confirmed 51 cases in the outbreak.",
        {(51, "Ohio")},
    ),
    # an increment is no total
    (
        "increase-of",
        "flu.cases",
        "The outbreak reached 90 cases, an increase of 14 cases since Monday.",
        {(90, None)},
    ),
    (
        "about-n-of-them",
        "bloc.countries",
        "Leaders of 40 countries met at the summit; about 30 of them signed the pact.",
        {(40, None)},
    ),
]


@pytest.mark.parametrize(
    ("fact", "text", "expected"),
    [pytest.param(f, t, e, id=i) for i, f, t, e in NUMERIC],
)
def test_numeric_reading(fact: str, text: str, expected: set[tuple[Any, str | None]]) -> None:
    assert _numeric(text, fact) == expected


SYNONYMS = [
    ("nations", "Thirty nations signed the pact at the summit.", 30),
    ("states", "The treaty now has 31 member states.", 31),
    ("governments", "Some 32 governments backed the pact at the summit.", 32),
    ("allies", "The pact was endorsed by 33 allies at the summit.", 33),
    ("partners", "The treaty unites 34 partners.", 34),
    ("leaders", "Leaders from 35 countries gathered for the summit.", 35),
    ("delegations", "Delegations from 36 countries came to the summit.", 36),
    ("heads-of-state-of-countries", "Heads of state of 37 countries attended the summit.", 37),
]


@pytest.mark.parametrize(("text", "value"), [pytest.param(t, v, id=i) for i, t, v in SYNONYMS])
def test_synonyms_of_the_counted_noun(text: str, value: int) -> None:
    assert _numeric(text, "bloc.countries") == {(value, None)}


def test_boots_on_the_ground() -> None:
    text = "The mission would put 5,000 boots on the ground."
    assert _numeric(text, "mission.troops") == {(5000, None)}


def _terms(text: str) -> set[tuple[str | None, str | None]]:
    return {(f.term, f.status) for f in find_facts(text, FACTS) if f.fact == "harbour.deal"}


TERMS = [
    (
        "will-be-set-up",
        "A wage board will be set up for the harbour, the port authority said.",
        {("wage_board", "proposed")},
    ),
    (
        "adopted-once",
        "The harbour council adopted the following text:\n"
        "- a night ban for the port's cranes;\n- a wage board with union seats.",
        {("night_ban", "present"), ("wage_board", "present")},
    ),
    (
        "negation-does-not-spread",
        "The port deal includes a night ban. "
        "It does not include a wage board, which the union had sought. "
        "A night ban already applies at the harbour's other terminal.",
        {("night_ban", "present"), ("wage_board", "absent")},
    ),
    # a term phrase matches its words in other forms, with a few words between them
    (
        "loose-phrase",
        "The harbour authority is now running pilot schemes on two quays.",
        {("pilot_scheme", "present")},
    ),
    (
        "loose-phrase-with-words-between",
        "The port agreed a ban on all night crane shifts.",
        {("night_ban", "present")},
    ),
    # an offer that leaves a term out states its absence
    (
        "offer-leaves-it-out",
        "The port's new offer would not restore the wage board.",
        {("wage_board", "absent")},
    ),
    # withdrawing a proposal removes it
    (
        "withdrawn",
        "The harbour council is withdrawing its plan that called for a night ban.",
        {("night_ban", "removed")},
    ),
    # a second predicate's ask is about its own object
    (
        "second-predicate",
        "The port set up a wage board last week and is offering new contracts to dockers.",
        {("wage_board", "present")},
    ),
    # a measure taken is present; calling a term wrong disputes it
    (
        "measure-taken",
        "The port authority, which declared a night ban on Tuesday, urged crews to comply.",
        {("night_ban", "present")},
    ),
    (
        "called-wrong",
        "'A wage board at the harbour is wrong,' the port's owners said.",
        {("wage_board", "disputed")},
    ),
    # rejecting an offer leaves what it offered a proposal
    (
        "rejected-offer",
        "Dockers rejected the port's offer of a wage board on Friday.",
        {("wage_board", "proposed")},
    ),
    # a clause opening on "it" is read with the subject its sentence opened on
    (
        "clause-pronoun",
        "The Union will not call a port strike, but it has agreed to lead the talks.",
        {("union_led", "present")},
    ),
    # called unfounded: disputed
    (
        "warned-against",
        "Port doctors are warning against the night ban as a cure for harbour noise.",
        {("night_ban", "disputed")},
    ),
    (
        "deal-awaiting-a-vote",
        "The harbour deal includes a pilot scheme. Dockers will vote on the deal next week.",
        {("pilot_scheme", "proposed")},
    ),
    (
        "tentative-deal-is-a-proposal",
        "Port workers will vote on a tentative agreement that "
        "includes a pilot scheme for the harbour.",
        {("pilot_scheme", "proposed")},
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in TERMS])
def test_terms_reading(text: str, expected: set[tuple[str, str]]) -> None:
    assert _terms(text) == expected


def test_early_in_a_month_is_no_earlier_figure() -> None:
    text = "The earthquake in early July hospitalized about 100 people."
    found = [f for f in find_facts(text, FACTS) if f.fact == "quake.hospital"]
    assert [(f.value, f.mention) for f in found] == [(100, "current")]
