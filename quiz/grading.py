"""Grading a resident's answer against a case, on the server, from names alone.

A free-text answer is right when it names the diagnosis (its name or an alias) regardless of
case, accents, punctuation and word order; it is "close" when it is a likely typo of one of
those names, which the resident then confirms or rejects.
"""
from dataclasses import dataclass
from difflib import SequenceMatcher

from cases.text import fold

from .models import Attempt

# Folded similarity at or above which an answer counts as a typo of a name:
# 'intradural extramedulary metastasis' (one letter dropped) scores 0.99, 'schwanoma' 0.95,
# 'meningioma' against 'schwannoma' 0.5, 'chordoma' against 'chondroma' 0.82.
CLOSE_RATIO = 0.85


@dataclass(frozen=True)
class Grade:
    outcome: str
    matched_name: str = ""

    @property
    def score(self):
        return 1 if self.outcome in (Attempt.Outcome.CORRECT, Attempt.Outcome.CLOSE_CONFIRMED) else 0


def _keys(text):
    """Ways two spellings of a name may agree: same words in any order, or same letters run together."""
    folded = fold(text)
    return {" ".join(sorted(folded.split())), folded.replace(" ", "")} if folded else set()


def _similarity(answer, name):
    a, b = fold(answer), fold(name)
    ordered = SequenceMatcher(None, a, b, autojunk=False).ratio()
    unordered = SequenceMatcher(None, " ".join(sorted(a.split())), " ".join(sorted(b.split())), autojunk=False)
    return max(ordered, unordered.ratio())


def names_match(text, name):
    """True when the text names the same thing as the name, up to case, accents, punctuation, word order."""
    return bool(_keys(text) & _keys(name))


def grade_answer(*, diagnosis, text, other_names=()):
    """Grade a typed leading diagnosis against the case's final diagnosis.

    ``other_names`` are the rest of the vocabulary: an answer nearer to another entity's name
    than to this one's is wrong, however similar ('spinal lipoma' for 'spinal lymphoma').
    """
    names = diagnosis.names()
    for name in names:
        if names_match(text, name):
            return Grade(Attempt.Outcome.CORRECT, name)
    if not fold(text):
        return Grade(Attempt.Outcome.WRONG)
    ratio, nearest = max((_similarity(text, name), name) for name in names)
    if ratio < CLOSE_RATIO or any(_similarity(text, other) >= ratio for other in other_names):
        return Grade(Attempt.Outcome.WRONG)
    return Grade(Attempt.Outcome.CLOSE, nearest)


def grade_choice(*, diagnosis, chosen):
    """Multiple choice is right or wrong."""
    if chosen is not None and chosen.pk == diagnosis.pk:
        return Grade(Attempt.Outcome.CORRECT, diagnosis.name)
    return Grade(Attempt.Outcome.WRONG)


def credit_differentials(*, alternatives, texts):
    """Each typed differential with the name of the case's alternative it matches ('' for none).

    Typos count here without confirmation; each alternative is credited once.
    """
    credited, result = set(), []
    for text in texts:
        match = next((
            d for d in alternatives
            if d.pk not in credited and grade_answer(diagnosis=d, text=text).outcome != Attempt.Outcome.WRONG
        ), None)
        if match is not None:
            credited.add(match.pk)
        result.append({"text": text, "credited": match.name if match else ""})
    return result
