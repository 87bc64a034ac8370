"""cases.text: one normaliser of names, shared by the grader and the spoiler rule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.text import mentions, name_words, names_match


@pytest.mark.parametrize(
    "text, words",
    [
        ("Bony mets", ["bony", "metastasis"]),
        ("cord met", ["cord", "metastasis"]),
        ("Metastases", ["metastasis"]),
        ("Haematoma", ["hematoma"]),
        ("Haemangiomas", ["hemangioma"]),
        ("Oedema", ["edema"]),
        ("Oesophageal", ["esophageal"]),
        ("Leukaemia", ["leukemia"]),
        ("Paediatric", ["pediatric"]),
        ("Tumour", ["tumor"]),
        ("tumours", ["tumor"]),
        ("Necrotising", ["necrotizing"]),
        ("radiation-induced", ["radiation", "induced"]),
        ("Spondylodiskitis", ["spondylodiscitis"]),
        ("Ependymomas", ["ependymoma"]),
        ("ependymomata", ["ependymoma"]),
        ("myelitides", ["myelitis"]),
        ("stenoses", ["stenosis"]),
        ("lesions", ["lesion"]),
        ("vertebrae", ["vertebra"]),
        ("NETs", ["net"]),
        ("Métastases", ["metastasis"]),
    ],
)
def test_spellings_plurals_and_abbreviations_fold_to_one_word(text, words):
    assert name_words(text) == words


@pytest.mark.parametrize(
    "word",
    [
        "mass",
        "abscess",
        "diagnosis",
        "sinus",
        "corpus",
        "pancreas",
        "atlas",
        "venous",
        "MS",
        "CSM",
        "mm",
        "disease",
        "our",
        "four",
        "or",
        "osteomyelitis",
        "myelitis",
        "paralysis",
        "metastasis",
    ],
)
def test_words_that_only_look_plural_or_british_are_kept(word):
    assert name_words(word) == [word.lower()]


@pytest.mark.parametrize(
    "text, name",
    [
        ("cord mets", "Cord metastasis"),
        ("metastasis, vertebral", "Vertebral metastases"),
        ("Necrotising myelitis", "Necrotizing myelitis"),
        ("spondylo-discitis", "Spondylodiscitis"),
        ("I.D.E.M. metastasis", "IDEM metastasis"),
        ("neuroendocrine tumor metastasis to the spine", "Neuroendocrine tumour metastasis to the spine"),
    ],
)
def test_names_match_across_spellings(text, name):
    assert names_match(text, name)


@pytest.mark.parametrize(
    "text, name",
    [
        ("metastasis", "Vertebral metastasis"),  # a broader term is not the same name
        ("Spinal lipoma", "Spinal lymphoma"),
        ("M S", "MS"),  # short names are never glued from fragments
        ("", ""),
    ],
)
def test_names_do_not_match_when_they_name_different_things(text, name):
    assert not names_match(text, name)


@pytest.mark.parametrize(
    "text, name, expected",
    [
        ("Woman, 62, T6 NET deposit", "NET", True),
        ("Staff network down", "NET", False),  # whole words only
        ("Back pain; known neuroendocrine tumour", "Neuroendocrine tumor", True),
        ("a mass in the spondylo discitis region", "Spondylodiscitis", True),  # run together
        ("metastasis of the vertebral arch", "Vertebral metastasis", False),  # not a contiguous run
        ("vertebral bony mets at T6", "Bony metastasis", True),
        ("Intramedullary lesion", "Intramedullary spinal cord metastasis", False),
        ("x", "", False),
    ],
)
def test_mentions_finds_a_name_as_a_contiguous_run(text, name, expected):
    assert mentions(text, name) is expected


# Texts a person could type: letters (some accented), digits, spaces and punctuation.
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèàôç0123456789 -", min_size=1, max_size=40)
punctuation = st.sampled_from([".", ",", ";", "!", "?", "(", ")", "'", '"', " - ", "  "])


def _accented(text):
    return text.translate(str.maketrans("aeiouc", "áéîöùç"))


@given(a=names, b=names)
def test_names_match_is_symmetric(a, b):
    assert names_match(a, b) == names_match(b, a)


@given(name=names, data=st.data())
def test_a_name_matches_any_reordering_of_its_words(name, data):
    words = name.split()
    shuffled = " ".join(data.draw(st.permutations(words)))
    assert names_match(shuffled, name) == bool(name_words(name))


@given(name=names)
def test_a_name_mentions_itself(name):
    assert mentions(name, name) == bool(name_words(name))


@given(a=names, b=names)
def test_a_matching_name_is_also_mentioned(a, b):
    if names_match(a, b):
        assert mentions(a, b) and mentions(b, a)


@given(text=names, name=names, before=punctuation, after=punctuation)
def test_case_accents_and_surrounding_punctuation_change_no_result(text, name, before, after):
    altered = before + _accented(text).upper() + after
    assert name_words(altered) == name_words(text)
    assert names_match(altered, name) == names_match(text, name)
    assert mentions(altered, name) == mentions(text, name)
    assert mentions(name, altered) == mentions(name, text)


@given(text=st.text(), name=st.text())
def test_no_text_raises(text, name):
    name_words(text)
    names_match(text, name)
    mentions(text, name)
