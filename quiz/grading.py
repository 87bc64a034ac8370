"""Grading a resident's answer against a case, on the server, from names alone.

A free-text answer is graded as a teacher would:

- it is right (1 point) when it names the final diagnosis: its name or an alias, in any spelling the
  normaliser folds (cases.text.name_words: case, accents, punctuation, word order, plurals, British
  and American spellings, "mets"), possibly with words around it ("T6 vertebral metastasis");
- it earns PARTIAL_CREDIT, outcome "broader", when it names an entity the final diagnosis is a kind
  of, at any depth ("spinal mets" for an intramedullary cord metastasis): the right family;
- it is "close" when it is a likely typo of one of the final's names, which the resident then
  confirms or rejects; a likely typo of a broader term earns the partial credit at once (nothing more
  is at stake than the family, which the reveal states);
- it is wrong when it names anything else, a narrower or sibling entity included, and when it is
  hedged: "X or Y", "X vs Y", "X/Y", "X versus Y" name more than one diagnosis, and "?X",
  "possible X", "probable X" do not commit to one. A teacher asks for one leading diagnosis, so a
  hedge earns nothing, whatever it contains; the reveal says why. Several spellings of one entity
  ("discitis / spondylodiscitis") are not a hedge.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from cases.text import mention_span, name_words, names_match

from .models import Attempt

# Folded similarity at or above which an answer counts as a typo of a name:
# 'intradural extramedullary metastasis' (one letter dropped) scores 0.99, 'schwanoma' 0.95,
# 'meningioma' against 'schwannoma' 0.5, 'chordoma' against 'chondroma' 0.82.
CLOSE_RATIO = 0.85

# The credit for naming a broader true term (the right family, not the diagnosis): half a case.
PARTIAL_CREDIT = 0.5

SCORES = {
    Attempt.Outcome.CORRECT: 1,
    Attempt.Outcome.CLOSE_CONFIRMED: 1,
    Attempt.Outcome.BROADER: PARTIAL_CREDIT,
}

# Words that join two diagnoses in a hedge. 'and' is not one: it joins findings within a name.
# A slash separates two words ('astrocytoma/ependymoma'), not levels or sequences ('C1/C2', 'T2/STIR').
_ALTERNATIVES = re.compile(
    r"\s+(?:and\s*/\s*or|or|vs\.?|versus)\s+|(?<=[^\W\d_]{3})\s*/\s*(?=[^\W\d_]{3})|\s*\?+\s*(?=\S)",
    re.IGNORECASE,
)
# Words that qualify a single diagnosis as a guess ('?' alone is handled with the separators).
_QUALIFIERS = re.compile(
    r"^[^\w?]*(?:\?|(?:possibly|possible|probably|probable|likely|query|questionable|suspected|suspect|presumed|"
    r"maybe|perhaps|r\s*/\s*o|rule\s+out|consider|ddx)\b)|\?[^\w?]*$",
    re.IGNORECASE,
)


def score_for(outcome):
    """The points an outcome earns: 1, PARTIAL_CREDIT for a broader term, else 0."""
    return SCORES.get(outcome, 0)


@dataclass(frozen=True)
class Grade:
    outcome: str
    matched_name: str = ""

    @property
    def score(self):
        return score_for(self.outcome)


def is_hedged(text):
    """True when the answer offers more than one diagnosis or only guesses at one ('?X', 'possible X')."""
    text = text or ""
    return bool(_QUALIFIERS.search(text)) or len([p for p in _ALTERNATIVES.split(text) if name_words(p)]) > 1


def _similarity(answer_words, name):
    a, b = " ".join(answer_words), " ".join(name_words(name))
    ordered = SequenceMatcher(None, a, b, autojunk=False).ratio()
    unordered = SequenceMatcher(None, " ".join(sorted(a.split())), " ".join(sorted(b.split())), autojunk=False)
    return max(ordered, unordered.ratio())


def _each_word_a_slip(words, name):
    """Every word of the answer is a word of the name or a misspelling of one ('T6' is neither)."""
    targets = name_words(name)
    return len(words) == len(targets) and all(
        word in targets or any(SequenceMatcher(None, word, t, autojunk=False).ratio() >= 0.8 for t in targets)
        for word in words
    )


def ancestors(diagnosis, by_pk):
    """The entities the diagnosis is a kind of, nearest first (a cycle stops the walk)."""
    result, seen = [], {diagnosis.pk}
    parent = by_pk.get(diagnosis.broader_id)
    while parent is not None and parent.pk not in seen:
        result.append(parent)
        seen.add(parent.pk)
        parent = by_pk.get(parent.broader_id)
    return result


def _named_entity(text, entries):
    """(entry, name) the text names, or (None, '') when it names none or several different ones.

    A name matching the whole text wins; otherwise the names mentioned in it, except those whose
    words sit inside a longer mention ('vertebral metastasis' inside 'vertebral NET metastasis').
    """
    for entry in entries:
        for name in entry.names():
            if names_match(text, name):
                return entry, name
    words = name_words(text)
    found = []
    for entry in entries:
        for name in entry.names():
            span = mention_span(words, name_words(name))
            if span is not None:
                found.append((span, entry, name))
    widest = [
        (span, entry, name)
        for span, entry, name in found
        if not any(o[0] <= span[0] and span[1] <= o[1] and o[1] - o[0] > span[1] - span[0] for o, *_ in found)
    ]
    if len({entry.pk for _, entry, _ in widest}) != 1:
        return None, ""
    return widest[0][1], widest[0][2]


def grade_answer(*, diagnosis, text, vocabulary=()):
    """Grade a typed leading diagnosis against the case's final diagnosis.

    ``vocabulary`` is every entity (the final's own row may be among them): its broader links give
    the partial credit, and an answer nearer to another entity's name than to this one's is wrong,
    however similar ('spinal lipoma' for 'spinal lymphoma').
    """
    by_pk = {entry.pk: entry for entry in vocabulary}
    by_pk[diagnosis.pk] = diagnosis
    family = ancestors(diagnosis, by_pk)
    family_pks = {entry.pk for entry in family}
    others = [entry for pk, entry in by_pk.items() if pk != diagnosis.pk and pk not in family_pks]
    entries = [diagnosis, *family, *others]

    if _QUALIFIERS.search(text or ""):
        return Grade(Attempt.Outcome.WRONG)
    exact = next(((e, n) for e in entries for n in e.names() if names_match(text, n)), None)
    if exact is None and is_hedged(text):
        parts = [part for part in _ALTERNATIVES.split(text) if name_words(part)]
        named = {getattr(_named_entity(part, entries)[0], "pk", None) for part in parts}
        if len(named) != 1 or None in named:
            return Grade(Attempt.Outcome.WRONG)
        # else: several spellings of one entity ('discitis / spondylodiscitis'), graded as one

    words = name_words(text)
    if not words:
        return Grade(Attempt.Outcome.WRONG)
    entry, name = exact or _named_entity(text, entries)
    if entry is not None and entry.pk == diagnosis.pk:
        return Grade(Attempt.Outcome.CORRECT, name)
    if exact is not None:
        return Grade(Attempt.Outcome.BROADER if entry.pk in family_pks else Attempt.Outcome.WRONG, name)

    # A typo of the final's name outranks a broader or other name found inside the answer:
    # 'vertebal metastasis' is a slip on 'vertebral metastasis', not a bet on 'metastasis'.
    ratio, nearest, near_entry = max(
        ((_similarity(words, n), n, e) for e in [diagnosis, *family] for n in e.names()),
        key=lambda row: row[0],
    )
    rivals = others if entry is None else [*others, entry]
    is_typo = ratio >= CLOSE_RATIO and not any(_similarity(words, n) >= ratio for e in rivals for n in e.names())
    if is_typo and near_entry.pk == diagnosis.pk and (entry is None or _each_word_a_slip(words, nearest)):
        return Grade(Attempt.Outcome.CLOSE, nearest)
    if entry is not None:
        return Grade(Attempt.Outcome.BROADER if entry.pk in family_pks else Attempt.Outcome.WRONG, name)
    if is_typo:
        return Grade(Attempt.Outcome.BROADER, nearest)  # a typo of a broader term
    return Grade(Attempt.Outcome.WRONG)


def grade_choice(*, diagnosis, chosen, vocabulary=()):
    """The option chosen: the final diagnosis is right, a broader term of it the right family, else wrong."""
    if chosen is None:
        return Grade(Attempt.Outcome.WRONG)
    if chosen.pk == diagnosis.pk:
        return Grade(Attempt.Outcome.CORRECT, diagnosis.name)
    by_pk = {entry.pk: entry for entry in vocabulary}
    by_pk[diagnosis.pk] = diagnosis
    if chosen.pk in {entry.pk for entry in ancestors(diagnosis, by_pk)}:
        return Grade(Attempt.Outcome.BROADER, chosen.name)
    return Grade(Attempt.Outcome.WRONG)


def credit_differentials(*, alternatives, texts):
    """Each typed differential with the name of the case's alternative it matches ('' for none).

    Typos count here without confirmation; each alternative is credited once.
    """
    credited, result = set(), []
    for text in texts:
        match = next(
            (
                d
                for d in alternatives
                if d.pk not in credited and grade_answer(diagnosis=d, text=text).outcome != Attempt.Outcome.WRONG
            ),
            None,
        )
        if match is not None:
            credited.add(match.pk)
        result.append({"text": text, "credited": match.name if match else ""})
    return result


def entity_named(text, vocabulary):
    """The vocabulary entry a typed answer names, read as the grader reads it; None for none or several."""
    return _named_entity(text, list(vocabulary))[0]
