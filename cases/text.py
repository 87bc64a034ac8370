"""Text folding shared by search and grading: case-, accent- and spacing-insensitive."""
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")


def fold(text):
    """Lower-case, strip accents and punctuation, collapse spaces: 'Épanchement!' → 'epanchement'."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())
