"""How the numeric finder reads figures in general English (regression table, feeds.yaml facts).

Each row is a short text written for this table, the fact, and the (value, qualifier, mention)
findings expected; one mechanism per row, named in its id.
"""

from __future__ import annotations

import pytest

from monitor.config import load_settings
from monitor.facts import find_facts

from .conftest import REPO

SETTINGS = load_settings(REPO / "feeds.yaml")
UK = "United Kingdom"

Row = tuple[str, str, set[tuple[object, str | None, str]]]

ROWS: dict[str, Row] = {
    # A defer cue must be said of the figure, not of another verb in its clause.
    "defer-cue-of-another-verb": (
        "Ministers met to turn vague commitments into plans for the coalition of the willing, "
        "after a call with leaders of about 28 countries. Ukraine welcomed it.",
        "coalition.countries",
        {(28, None, "current")},
    ),
    "defer-cue-of-the-figure": (
        "For the coalition of the willing, 19 countries committed troops to the Ukraine force.",
        "coalition.countries",
        set(),
    ),
    "readiness-is-a-pledge": (
        "Nineteen countries said they were ready to contribute to the reassurance force for "
        "Ukraine.",
        "coalition.pledged",
        {(19, None, "current")},
    ),
    "readiness-is-not-membership": (
        "Nineteen countries said they were ready to contribute to the reassurance force for "
        "Ukraine.",
        "coalition.countries",
        set(),
    ),
    "committed-to-working-is-no-pledge": (
        "Leaders of 12 countries said they were committed to working with Washington on security "
        "guarantees for Ukraine.",
        "coalition.pledged",
        set(),
    ),
    "question-says-what-the-answer-counts": (
        "How many countries have pledged troops for Ukraine?\nTwenty-eight. The coalition of the "
        "willing has 40 members.",
        "coalition.countries",
        {(40, None, "current")},
    ),
    # Quotes around a figure, and nouns after "of its own".
    "quoted-figure-after-its-noun": (
        'Italian troops could number "a few hundred" in the reassurance force for Ukraine.',
        "force.troops",
        {((200, 999), "Italy", "current")},
    ),
    "quoted-figure-after-a-binder": (
        'Officials put Britain\'s share of the Ukraine force at "a few thousand".',
        "force.troops",
        {((2000, 9999), UK, "current")},
    ),
    "of-its-own-soldiers": (
        'Spain would send "several hundred" of its own soldiers to the force for Ukraine.',
        "force.troops",
        {((200, 999), "Spain", "current")},
    ),
    "of-modified-unit": (
        "Macron said thousands of French troops could join the force in Ukraine.",
        "force.troops",
        {((1000, 99999), "France", "current")},
    ),
    "or-more": (
        "The coalition of the willing for Ukraine now counts 32 or more countries.",
        "coalition.countries",
        {((32, None), None, "current")},
    ),
    "or-fewer": (
        "The Ukraine force may have 9,000 or fewer troops in its first phase.",
        "force.troops",
        {((None, 9000), None, "current")},
    ),
    "in-the-thousands": (
        "For Ukraine, the foreign contingent could number in the thousands.",
        "force.troops",
        {((1000, 99999), None, "current")},
    ),
    # Qualifiers: "each" after the figure, capitals as governments, capitals as places.
    "each-after-the-figure": (
        "Poland and Romania studied contributions to the Ukraine force of up to 3,000 troops each.",
        "force.troops",
        {((None, 3000), "Poland", "current"), ((None, 3000), "Romania", "current")},
    ),
    "contributor-after-the-figure": (
        "Under the plan for the Ukraine force, 7,000 troops would come from Britain.",
        "force.troops",
        {(7000, UK, "current")},
    ),
    "capital-as-government": (
        "Madrid would contribute around 800 personnel to the multinational force for Ukraine.",
        "force.troops",
        {(800, "Spain", "current")},
    ),
    "capital-as-place": (
        "At a meeting in Madrid, leaders set the Ukraine force at 12,000 troops.",
        "force.troops",
        {(12000, None, "current")},
    ),
    "capital-naming-an-event": (
        "The London summit on Ukraine agreed a force of 20,000 troops.",
        "force.troops",
        {(20000, None, "current")},
    ),
    "capital-as-a-place-of-an-office": (
        "The Rome-based staff of the Ukraine force will number 300 personnel.",
        "force.troops",
        {(300, None, "current")},
    ),
    # Where the subject may be named.
    "subject-in-next-sentence-of-paragraph": (
        "Leaders of 33 countries took part on Tuesday. The coalition of the willing agreed on a "
        "headquarters for Ukraine.",
        "coalition.countries",
        {(33, None, "current")},
    ),
    "subject-in-next-paragraph-is-too-far": (
        "Leaders of 33 countries took part on Tuesday.\n\nThe coalition of the willing agreed on "
        "a headquarters for Ukraine.",
        "coalition.countries",
        set(),
    ),
    "pledge-without-object-takes-nearby-subject": (
        "An earlier version said 25 countries had pledged to send troops to Ukraine. In fact, "
        "24 countries pledged in May.",
        "coalition.pledged",
        {(25, None, "historical"), (24, None, "corrected")},
    ),
    # Exclusions: after the noun only what the figure belongs to; pronouns of excluded actors.
    "exclusion-where-they-met": (
        "Ministers from 29 countries met at NATO headquarters to plan the reassurance force for "
        "Ukraine.",
        "coalition.countries",
        {(29, None, "current")},
    ),
    "exclusion-they-belong-to": (
        "The 32 countries in NATO back the coalition of the willing for Ukraine.",
        "coalition.countries",
        set(),
    ),
    "another-mission-after-the-noun": (
        "A Ukraine force would be small: NATO once sent 40,000 troops to Kosovo.",
        "force.troops",
        set(),
    ),
    "pronoun-of-an-excluded-actor": (
        "Russia rejected a truce in Ukraine, and its offensive goes on, where it has committed "
        "some 90,000 troops.",
        "force.troops",
        set(),
    ),
    "pronoun-after-the-subject": (
        "Russia objects to any Western presence, but the coalition says it could deploy 9,000 "
        "troops in Ukraine.",
        "force.troops",
        {(9000, None, "current")},
    ),
    # How a figure is stated.
    "called-false-in-the-answer": (
        "QUESTION: A paper reported a Ukraine force of 60,000 troops. Can you confirm?\n"
        "MINISTER: No. That figure is false.",
        "force.troops",
        {(60000, None, "denied")},
    ),
    "quoted-claim": (
        'Viral posts claim that "NATO will send 90,000 soldiers to Ukraine" for the force.',
        "force.troops",
        {(90000, None, "denied")},
    ),
    "hypothetical-from-sentence-start": (
        "Suppose, for argument's sake, that each of the 30 sent 2,000 soldiers to the Ukraine "
        "force. That would give a force of 60,000.",
        "force.troops",
        set(),
    ),
    # Bare figures: under a how-big question, as a level with a cue, named again.
    "answer-a-sentence-into-the-reply": (
        "How many troops would the Ukraine force need?\nNothing is settled yet. Planners have "
        "discussed 12,000 to 16,000.",
        "force.troops",
        {((12000, 16000), None, "current")},
    ),
    "figure-under-how-big-question": (
        "How large would the Ukraine force be?\nPlans have changed. The working figure is 18,000.",
        "force.troops",
        {(18000, None, "current")},
    ),
    "level-with-a-cue": (
        "Ukraine's army would be kept at a peacetime level of 750,000.",
        "ukraine.army_cap",
        {(750000, None, "current")},
    ),
    "negated-cue": (
        "Kyiv said Ukraine had about 870,000 troops and that no deal must limit its army.",
        "ukraine.army_cap",
        set(),
    ),
    "holder-own-size": (
        "Spain, which has about 120,000 troops, said it would help the Ukraine force with "
        "logistics.",
        "force.troops",
        set(),
    ),
    "another-facts-unit-is-no-subject": (
        "Norway said it would contribute up to 300 troops to the reassurance force for Ukraine.",
        "coalition.pledged",
        set(),
    ),
    "share-put-at": (
        "Britain's contribution to the Ukraine force has been put at between 4,000 and 8,000.",
        "force.troops",
        {((4000, 8000), UK, "current")},
    ),
    "present-size-after-the-cue": (
        "Moscow wants to cap Ukraine's army, which is now at 870,000.",
        "ukraine.army_cap",
        set(),
    ),
    "level-without-a-cue": (
        "Ukraine's army stands at a level of 750,000.",
        "ukraine.army_cap",
        set(),
    ),
    "part-of-what-were-then": (
        "In May, 21 of what were then 33 members of the coalition of the willing pledged troops "
        "for Ukraine.",
        "coalition.pledged",
        {(21, None, "current")},
    ),
    "whole-of-what-were-then": (
        "In May, 21 of what were then 33 members of the coalition of the willing pledged troops "
        "for Ukraine.",
        "coalition.countries",
        {(33, None, "current")},
    ),
    "only-the-first-figure-after-of-the-group": (
        "The coalition for Ukraine has 30 members. Of the 30, 22 have committed to contribute "
        "to the force, but fewer than eight are likely to send troops.",
        "coalition.pledged",
        {(22, None, "current")},
    ),
    "figure-named-again": (
        "Twenty-one governments pledged troops for the Ukraine force. Of the 21, only a few have "
        "armies of any size.",
        "coalition.countries",
        set(),
    ),
    # A span of years is a date, and the words before it still count against the figure.
    "year-span-keeps-the-exclusion-in-view": (
        "NATO's stabilisation force in Kosovo in 1999-2000 numbered some 45,000 troops; the "
        "reassurance force for Ukraine would be smaller.",
        "force.troops",
        set(),
    ),
    # A figure beyond what the fact can be (max_value) is another army's.
    "beyond-the-fact-range": (
        "The reassurance force for Ukraine would face an enemy with 700,000 troops.",
        "force.troops",
        set(),
    ),
    # The whole force, said after the figure; planners named as a source.
    "whole-force-after-the-figure": (
        "Dutch planners worked with a figure of 12,000 troops for the entire force in Ukraine.",
        "force.troops",
        {(12000, None, "current")},
    ),
    # A name heading a relative clause owns the figure in it, whatever preposition precedes it.
    "relative-clause-owner": (
        "Ministers in Kyiv want no contest with Spain, which has said it could send 3,000 troops "
        "to the reassurance force.",
        "force.troops",
        {(3000, "Spain", "current")},
    ),
    "relative-clause-owner-with-unit-word": (
        "Norway, which said in May it could send a battalion of about 600, confirmed the offer "
        "for the Ukraine mission.",
        "force.troops",
        {(600, "Norway", "current")},
    ),
    # The sentence after names the subject only as what it opens with.
    "next-sentence-subject-in-passing": (
        'Ukraine\'s allies are many. "Ten flags matter more than 500 soldiers." She added, in an '
        "interview, that the force contributors were still silent.",
        "force.troops",
        set(),
    ),
    # A share "from each of" unnamed contributors is neither a total nor anyone's figure.
    "each-of-no-one-in-particular": (
        "Officials said several hundred troops from each of a dozen countries could join the "
        "reassurance force in Ukraine.",
        "force.troops",
        set(),
    ),
    "each-of-named-countries": (
        "Spain and Italy would each send 2,000 troops to the reassurance force in Ukraine.",
        "force.troops",
        {(2000, "Spain", "current"), (2000, "Italy", "current")},
    ),
    # "the number of <unit>" names the figure only in the figure's own clause.
    "number-of-unit-in-another-clause": (
        'Allies should state the number of troops for the Ukraine force; promises - "a few '
        'hundred", "a squadron" - reassure no one.',
        "force.troops",
        set(),
    ),
    # Disputing a report denies its figure.
    "disputed-report": (
        "Diplomats disputed a newspaper report that the coalition would deploy 45,000 troops "
        "in Ukraine.",
        "force.troops",
        {(45000, None, "denied")},
    ),
    # In a correction note, what someone later said is the corrected figure.
    "correction-later-said": (
        "Correction: An earlier version of this story said 41 countries attended the coalition "
        "of the willing meeting on Ukraine. Organisers later said 33 countries took part.",
        "coalition.countries",
        {(41, None, "denied"), (33, None, "corrected")},
    ),
    "delegations-are-countries": (
        "Twenty-nine delegations attended the coalition of the willing summit on Ukraine.",
        "coalition.countries",
        {(29, None, "current")},
    ),
    # What someone does not want is no figure of the force.
    "unwanted-figure": (
        'Kyiv is "not interested in a token contingent of a few hundred" for the Ukraine force.',
        "force.troops",
        {((200, 999), None, "denied")},
    ),
    # Subheadings do not count as sentences between a figure and its subject.
    "subheading-between-subject-and-figure": (
        "The coalition of the willing met in Rome on Ukraine.\nThe text runs to four pages.\n"
        "Who signed\nIt was supported by thirty-two states.",
        "coalition.countries",
        {(32, None, "current")},
    ),
    "cap-subject-two-sentences-back": (
        "Next, the army of Ukraine. The draft allows a peacetime force of 750,000. Moscow wants "
        "the 500,000 limit of an older draft.",
        "ukraine.army_cap",
        {(750000, None, "current"), (500000, None, "current")},
    ),
    # A list item reads as part of the line introducing it: its subject and its owner.
    "list-item-under-its-intro": (
        "The cabinet approved Norway's contribution to the reassurance force for Ukraine.\n"
        "Norway will provide:\n- two frigates for the maritime component;\n"
        "- up to 400 military personnel for a logistics hub in western Ukraine.",
        "force.troops",
        {((None, 400), "Norway", "current")},
    ),
    # An end of a range given before says the range again; a figure inside a vague one is new.
    "range-end-restated": (
        "Planners discuss a reassurance force for Ukraine of 12,000-18,000 troops. Critics say "
        "a force of 12,000 is too thin.",
        "force.troops",
        {((12000, 18000), None, "current")},
    ),
    "figure-inside-a-vague-range": (
        "Leaders of 30-odd countries met for the coalition of the willing on Ukraine. Officials "
        "later said the coalition has 34 members.",
        "coalition.countries",
        {((30, 39), None, "current"), (34, None, "corrected")},
    ),
    # A later sentence that names the figure again and dismisses it, whatever figures intervene.
    "figure-named-again-and-dismissed": (
        "Some officials argue the Ukraine force needs 90,000 or more troops, which means "
        "three rotations a year. Ministers treat the 90,000 figure as pure speculation.",
        "force.troops",
        {((90000, None), None, "denied")},
    ),
    # "a force in the tens of thousands" is bound like "a force of tens of thousands".
    "force-in-the-low-tens-of-thousands": (
        'Planning papers describe a Ukraine force "in the low tens of thousands".',
        "force.troops",
        {((10000, 39999), None, "current")},
    ),
    # "By comparison, ..." sets the sentence's first figure against the one just given.
    "by-comparison-inherits-the-figure-before": (
        "Ukraine's army would be capped at 700,000 in peacetime under the new draft. By "
        "comparison, the first draft spoke of 550,000.",
        "ukraine.army_cap",
        {(700000, None, "current"), (550000, None, "current")},
    ),
    "by-comparison-keeps-the-exclusions": (
        "The reassurance force for Ukraine would number 25,000 troops. By contrast, Russia "
        "keeps 150,000 near the front.",
        "force.troops",
        {(25000, None, "current")},
    ),
    # The other side, however it is named.
    "adversary-troops": (
        "A reassurance force for Ukraine would face an adversary with 150,000 troops near Kyiv.",
        "force.troops",
        set(),
    ),
    # With `since`, a figure its clause dates to an earlier year is another episode's.
    "dated-before-the-story": (
        "Ukraine's army would be capped at 700,000 in the new draft; in the failed 2022 talks, "
        "Moscow sought to cap Ukraine's army at 90,000.",
        "ukraine.army_cap",
        {(700000, None, "current")},
    ),
    "since-an-earlier-year-is-not-dated": (
        "Since 2024, the plan has been to cap Ukraine's army at 700,000.",
        "ukraine.army_cap",
        {(700000, None, "current")},
    ),
    # A figure "within the N ceiling" is a part of N, not another figure for the force.
    "part-within-a-ceiling": (
        "Sweden will send up to 500 troops to the Ukraine force, including a medical unit of "
        "about 60 personnel within the overall 500 ceiling.",
        "force.troops",
        {((None, 500), "Sweden", "current")},
    ),
    "relative-clause-of-a-place": (
        "At a summit in London, which drew 30 leaders, the coalition agreed a reassurance "
        "force for Ukraine of 25,000 troops.",
        "force.troops",
        {(25000, None, "current")},
    ),
    "year-later-in-the-clause-dates-something-else": (
        "The draft would cap Ukraine's army at 700,000 against 250,000 soldiers in 2021.",
        "ukraine.army_cap",
        {(700000, None, "current")},
    ),
    "not-ruling-out-is-no-denial": (
        "Spain did not rule out sending 1,500 troops to the reassurance force for Ukraine.",
        "force.troops",
        {(1500, "Spain", "current")},
    ),
    "contributors-own-total": (
        "Britain would send 9,000 troops in total to the reassurance force for Ukraine.",
        "force.troops",
        {(9000, UK, "current")},
    ),
    "list-item-not-part-of-other-items": (
        "Key points of the day:\n- Leaders discussed the reassurance force for Ukraine.\n"
        "- Markets fell.\n- Storms hit the coast.\n- About 2,000 soldiers joined the drill.",
        "force.troops",
        set(),
    ),
    # "the force may number N": a subject and a modal verb of size bind the figure.
    "force-may-number": (
        "The reassurance force for Ukraine may number 18,000.",
        "force.troops",
        {(18000, None, "current")},
    ),
    # A box of national armies: its items take no subject from the line after the box.
    "context-box-item": (
        "Context: armies in the region\n- Hungary: 40,000 troops\nThe coalition of the "
        "willing will meet on Ukraine next week.",
        "force.troops",
        set(),
    ),
    # "a figure that was not confirmed" takes it back.
    "figure-not-confirmed": (
        "A newspaper said the force for Ukraine could number up to 45,000 - a figure that was "
        "not confirmed by any government.",
        "force.troops",
        {((None, 45000), None, "denied")},
    ),
    # Analysts' reckoning in the conditional is not a plan.
    "analysts-conditional": (
        "Some analysts say a credible force for Ukraine would need 120,000 troops.",
        "force.troops",
        set(),
    ),
    "share-per-country": (
        "Officials said the Ukraine force could include several hundred troops per country.",
        "force.troops",
        set(),
    ),
    # What a country has is its own army, what a planned force would have is the force.
    "holder-has-its-own-troops": (
        "Denmark has about 15,000 troops, a fraction of the reassurance force planned for Ukraine.",
        "force.troops",
        set(),
    ),
    "planned-force-would-have": (
        "The reassurance force for Ukraine would have about 24,000 troops.",
        "force.troops",
        {(24000, None, "current")},
    ),
    # "-strong": before a modified subject noun, or said of the force itself.
    "strong-before-a-modified-subject": (
        "A 6,000-strong Italian contingent could deploy to Ukraine after a ceasefire.",
        "force.troops",
        {(6000, "Italy", "current")},
    ),
    "strong-as-a-predicate": (
        "The force for Ukraine could be 22,000-strong, officials said.",
        "force.troops",
        {(22000, None, "current")},
    ),
    # An exclusion does not reach across a semicolon.
    "exclusion-not-across-semicolon": (
        "All 32 NATO allies back Ukraine; the coalition of the willing has 33 members.",
        "coalition.countries",
        {(33, None, "current")},
    ),
    # A cap may count people with any people-noun; the size today it is compared with is not it.
    "cap-in-a-people-noun": (
        "Under the draft, Ukraine's army would be limited to 700,000 persons in peacetime.",
        "ukraine.army_cap",
        {(700000, None, "current")},
    ),
    "cap-compared-with-size-today": (
        "The ceiling on Ukraine's army compares with some 900,000 people now serving.",
        "ukraine.army_cap",
        set(),
    ),
    # "in 'the low thousands'" binds like "of" after a subject noun.
    "in-the-low-thousands-after-subject": (
        'Officials said Poland was preparing a contribution in "the low thousands" to the '
        "reassurance force for Ukraine.",
        "force.troops",
        {((1000, 3999), "Poland", "current")},
    ),
    # A country's government that acts (approves, offers) owns the figure; one that speaks
    # ("Polish officials said") is its source.
    "government-acting-owns-the-figure": (
        "Latvia's government has approved sending about 120 soldiers to the multinational force "
        "in Ukraine.",
        "force.troops",
        {(120, "Latvia", "current")},
    ),
    "apposition-restates-the-figure": (
        "Norway's cabinet has offered one battalion of soldiers — about 400 troops — to the "
        "force in Ukraine.",
        "force.troops",
        {(400, "Norway", "current")},
    ),
    # "out of N" is the whole group, not what the part did.
    "out-of-the-whole-is-no-pledge": (
        "Twenty countries remain committed to contributing to the force for Ukraine, out of 33 "
        "in the coalition of the willing.",
        "coalition.pledged",
        {(20, None, "current")},
    ),
    "out-of-the-whole-is-membership": (
        "Twenty countries remain committed to contributing to the force for Ukraine, out of 33 "
        "in the coalition of the willing.",
        "coalition.countries",
        {(33, None, "current")},
    ),
    # A figure set after its unit noun by a dash counts that noun.
    "figure-after-its-noun-and-a-dash": (
        "The coalition of the willing is a loose list of countries — some forty, depending on "
        "who counts.",
        "coalition.countries",
        {(40, None, "current")},
    ),
    # A multiplier is no figure a bare one can refer back to.
    "multiplier-is-no-antecedent": (
        'Britain has said it could commit "up to 8,000" personnel to the force for Ukraine, '
        'though rotation would need three times as many. Italy has talked about "several '
        'thousand".',
        "force.troops",
        {((None, 8000), UK, "current"), ((2000, 9999), "Italy", "current")},
    ),
    # A figure referring back is placed by the subject of the one it refers to.
    "range-refers-back-to-a-placed-figure": (
        "The multinational force for Ukraine was first planned at 50,000 troops. That was judged "
        "unrealistic in spring. By autumn the working range had shrunk to between 12,000 and "
        "18,000.",
        "force.troops",
        {(50000, None, "historical"), ((12000, 18000), None, "current")},
    ),
    # A figure disowned or unconfirmed in its sentence is denied; one only asked about is none.
    "figure-has-not-been-confirmed": (
        'Sweden said it could send "some hundreds" of soldiers to the force for Ukraine, though '
        "the figure has not been confirmed.",
        "force.troops",
        {((100, 999), "Sweden", "denied")},
    ),
    "figure-was-never-a-commitment": (
        'Germany once mentioned "up to 5,000" soldiers for the force in Ukraine, but its minister '
        'later said this number "was never a commitment".',
        "force.troops",
        {((None, 5000), "Germany", "denied")},
    ),
    "how-many-is-asked-not-stated": (
        "Leaders are still discussing how many thousands of soldiers to send to the force for "
        "Ukraine.",
        "force.troops",
        set(),
    ),
}


@pytest.mark.parametrize("case", ROWS)
def test_reading(case: str) -> None:
    text, fact, expected = ROWS[case]
    found = {
        (f.value, f.qualifier, f.mention)
        for f in find_facts(text, SETTINGS.facts)
        if f.fact == fact and f.value is not None
    }
    assert found == expected
