"""Text folding shared by search and grading: case-, accent- and spacing-insensitive."""

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^\w]+")


def fold(text):
    """Lower-case, strip accents and punctuation, collapse spaces: 'Épanchement!' → 'epanchement'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


# Names ----------------------------------------------------------------------------------------
# How residents and sources spell the same entity differently. One normaliser serves the grader
# (quiz.grading) and the spoiler rule (a title or presentation must not name the answer).

# Whole words first: abbreviations, irregular plurals, Latin plurals.
_WORDS = {
    "met": "metastasis",
    "mets": "metastasis",
    "metastases": "metastasis",
    "metastasis": "metastasis",
    "metastase": "metastasis",  # French: métastase(s)
    "diagnoses": "diagnosis",
    "vertebrae": "vertebra",
    "fistulae": "fistula",
    "foci": "focus",
    "foramina": "foramen",
    "emboli": "embolus",
    "thrombi": "thrombus",
    "nuclei": "nucleus",
    "sinuses": "sinus",
    "viruses": "virus",
    "plexuses": "plexus",
    "centre": "center",
    "fibre": "fiber",
    "grey": "gray",
    "tumours": "tumor",
    "tumour": "tumor",
    "tumors": "tumor",
}
# Words that end like a plural or a British spelling but are neither.
_KEEP = {
    "atlas",
    "pancreas",
    "gas",
    "bias",
    "alias",
    "has",
    "was",
    "as",
    "is",
    "this",
    "its",
    "us",
    "yes",
    "doses",
    "noses",
    "roses",
    "poses",
    "hoses",
    "series",
    "species",
    "herpes",
    "rabies",
    "diabetes",
    "four",
    "hour",
    "your",
    "pour",
    "sour",
    "tour",
    "flour",
    "our",
    "scour",
}
_UNCHANGED_ENDINGS = ("ss", "us", "is", "ys", "ous", "ics")
# British → American, applied inside words: haematoma → hematoma, oedema → edema, necrotising →
# necrotizing, spondylodiskitis → spondylodiscitis.
_SPELLINGS = [
    (re.compile(r"^oe"), "e"),
    (re.compile(r"(?<=[cf])oe"), "e"),
    (re.compile(r"oea$"), "ea"),
    (re.compile(r"ae"), "e"),
    (re.compile(r"(?<=[a-z]{2})is(e|ed|es|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{2})our$"), "or"),
    (re.compile(r"disk"), "disc"),
]


def _singular(word):
    if word in _KEEP or len(word) < 4 or word.endswith(_UNCHANGED_ENDINGS):
        return word
    for plural, singular in (
        ("omata", "oma"),
        ("itides", "itis"),
        ("stases", "stasis"),
        ("oses", "osis"),
        ("eses", "esis"),
        ("yses", "ysis"),
        ("sses", "ss"),
        ("ies", "y"),
    ):
        if word.endswith(plural):
            return word[: -len(plural)] + singular
    return word[:-1] if word.endswith("s") else word


def _normal_word(word):
    if word in _WORDS:
        return _WORDS[word]
    if word in _KEEP or not word.isalpha():
        return word
    word = _singular(word)
    if word.endswith("ae") and len(word) > 4:  # Latin plural: vertebrae, fistulae
        word = word[:-1]
    for pattern, replacement in _SPELLINGS:
        word = pattern.sub(replacement, word)
    return _WORDS.get(word, word)


def name_words(text):
    """The words of a name as the grader compares them: folded, hyphens split, singular, one spelling.

    'Haemangiomas' → ['hemangioma']; 'Bony mets' → ['bony', 'metastasis']; 'Tumour-like' → ['tumor', 'like'].
    """
    return list(_name_words(text or ""))


@lru_cache(maxsize=4096)  # the grader compares one answer with every name in the vocabulary
def _name_words(text):
    return tuple(_normal_word(word) for word in fold(text).replace("_", " ").split())


# A name shorter than this, run together, matches only as whole words ('NET', 'MIM', 'MS'): it is
# never found by gluing fragments of a text together.
_RUN_TOGETHER_MIN = 5


def _keys(words):
    """Ways two spellings of a name may agree: the same words in any order, or the same letters run together."""
    if not words:
        return set()
    keys = {" ".join(sorted(words))}
    joined = "".join(words)
    if len(joined) >= _RUN_TOGETHER_MIN:
        keys.add(joined)
    return keys


def names_match(text, name):
    """The text names the same thing as the name: equal normalised words in any order, or run together."""
    return bool(_keys(name_words(text)) & _keys(name_words(name)))


def mention_span(words, name_words_):
    """(start, end) of the first run of ``words`` that names ``name_words_``, or None."""
    if not name_words_:
        return None
    size, wanted = len(name_words_), sorted(name_words_)
    joined = "".join(name_words_)
    for start in range(len(words)):
        if sorted(words[start : start + size]) == wanted:
            return start, start + size
        if len(joined) < _RUN_TOGETHER_MIN:
            continue
        run = ""
        for end in range(start, len(words)):
            run += words[end]
            if run == joined:
                return start, end + 1
            if len(run) >= len(joined) or not joined.startswith(run):
                break
    return None


def mentions(text, name):
    """A longer text (a title, a presentation, a finding) names the entity somewhere.

    The name's normalised words appear as a contiguous run of the text's, in any order within the
    run; short names ('NET') count only as whole words.
    """
    return mention_span(name_words(text), name_words(name)) is not None
