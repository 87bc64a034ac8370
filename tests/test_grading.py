"""quiz.grading: free text matched on the server up to case, accents, punctuation and word order."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cases.models import Diagnosis
from cases.text import name_words
from quiz.grading import credit_differentials, grade_answer, grade_choice, is_hedged
from quiz.models import Attempt

IDEM = Diagnosis(pk=1, name="Intradural extramedullary metastasis", aliases="IDEM metastasis\nDrop metastasis")
SPONDYLODISCITIS = Diagnosis(pk=2, name="Infectious spondylodiscitis", aliases="Spondylodiscite infectieuse")
LYMPHOMA = Diagnosis(pk=3, name="Spinal lymphoma")

CORRECT, CLOSE, WRONG = Attempt.Outcome.CORRECT, Attempt.Outcome.CLOSE, Attempt.Outcome.WRONG


@pytest.mark.parametrize(
    "text",
    [
        "Intradural extramedullary metastasis",  # exact
        "intradural extramedullary metastasis",  # case
        "  INTRADURAL   EXTRAMEDULLARY METASTASIS  ",  # case and spacing
        "Intradural-extramedullary metastasis.",  # punctuation
        "metastasis, intradural extramedullary",  # word order
        "IDEM metastasis",  # alias
        "I.D.E.M. metastasis",  # alias with dotted abbreviation
        "drop METASTASIS",  # second alias, case
    ],
)
def test_names_and_aliases_are_correct_in_any_spelling(text):
    grade = grade_answer(diagnosis=IDEM, text=text)
    assert grade.outcome == CORRECT
    assert grade.score == 1


@pytest.mark.parametrize(
    "text",
    [
        "Spondylodiscite infectieuse",
        "spondylodiscité infectieuse",
        "SPONDYLODISCITE-INFECTIEUSE",
    ],
)
def test_accents_are_ignored(text):
    assert grade_answer(diagnosis=SPONDYLODISCITIS, text=text).outcome == CORRECT


@pytest.mark.parametrize(
    "diagnosis, text, nearest",
    [
        (IDEM, "Intradural extramedulary metastasis", "Intradural extramedullary metastasis"),  # letter dropped
        (IDEM, "intradrual extramedullary metastasis", "Intradural extramedullary metastasis"),  # letters swapped
        (IDEM, "IDEM metastisis", "IDEM metastasis"),  # alias misspelt
        (SPONDYLODISCITIS, "infectious spondilodiscitis", "Infectious spondylodiscitis"),
    ],
)
def test_a_typo_is_close_and_names_what_it_was_close_to(diagnosis, text, nearest):
    grade = grade_answer(diagnosis=diagnosis, text=text)
    assert grade.outcome == CLOSE
    assert grade.matched_name == nearest
    assert grade.score == 0  # until the resident confirms


@pytest.mark.parametrize("text", ["Meningioma", "metastasis", "Intramedullary metastasis", "spinal", "???", "", "   "])
def test_other_entities_fragments_and_empty_answers_are_wrong(text):
    grade = grade_answer(diagnosis=IDEM, text=text)
    assert grade.outcome == WRONG
    assert grade.score == 0


def test_an_answer_naming_another_entity_is_wrong_however_similar():
    assert grade_answer(diagnosis=LYMPHOMA, text="Spinal lipoma").outcome == CLOSE  # alone, it looks like a typo
    lipoma = [Diagnosis(pk=9, name="Spinal lipoma")]
    assert grade_answer(diagnosis=LYMPHOMA, text="Spinal lipoma", vocabulary=lipoma).outcome == WRONG
    assert grade_answer(diagnosis=LYMPHOMA, text="Spinal lipomaa", vocabulary=lipoma).outcome == WRONG


def test_multiple_choice_is_right_or_wrong():
    assert grade_choice(diagnosis=IDEM, chosen=IDEM).outcome == CORRECT
    assert grade_choice(diagnosis=IDEM, chosen=LYMPHOMA).outcome == WRONG
    assert grade_choice(diagnosis=IDEM, chosen=None).outcome == WRONG


def test_differentials_are_credited_once_each_when_they_match_the_case_list():
    meningioma, schwannoma = Diagnosis(pk=10, name="Meningioma"), Diagnosis(pk=11, name="Schwannoma")
    result = credit_differentials(
        alternatives=[meningioma, schwannoma], texts=["MENINGIOMA", "meningiomma", "schwanoma", "Ependymoma"]
    )
    assert result == [
        {"text": "MENINGIOMA", "credited": "Meningioma"},
        {"text": "meningiomma", "credited": ""},  # Meningioma already credited
        {"text": "schwanoma", "credited": "Schwannoma"},  # typos count for differentials
        {"text": "Ependymoma", "credited": ""},
    ]


@given(text=st.text())
def test_no_typed_answer_crashes_the_grader(text):
    grade = grade_answer(diagnosis=IDEM, text=text, vocabulary=[LYMPHOMA, Diagnosis(pk=10, name="Meningioma")])
    assert grade.outcome in {CORRECT, CLOSE, WRONG}
    credit_differentials(alternatives=[LYMPHOMA], texts=[text])


@given(name=st.text(min_size=1), aliases=st.text())
def test_no_diagnosis_name_crashes_the_grader_and_a_name_matches_itself(name, aliases):
    assume(not is_hedged(name))  # '?X' as a name is not one; names with 'or' are tested above
    diagnosis = Diagnosis(pk=5, name=name, aliases=aliases)
    grade = grade_answer(diagnosis=diagnosis, text=name)
    assert grade.outcome == (CORRECT if name_words(name) else WRONG)  # a name with no letter or digit matches nothing


# A small family: NET deposit → vertebral metastasis → spinal metastasis → metastasis.
METASTASIS = Diagnosis(pk=20, name="Metastasis", aliases="Mets\nMetastatic disease")
SPINAL_METS = Diagnosis(pk=21, name="Spinal metastasis", broader_id=20, aliases="Spinal mets")
VERTEBRAL = Diagnosis(pk=22, name="Vertebral metastasis", broader_id=21, aliases="Bone metastasis\nBony metastasis")
NET = Diagnosis(pk=23, name="Neuroendocrine tumour metastasis to the spine", broader_id=22, aliases="NET metastasis")
CORD = Diagnosis(pk=24, name="Intramedullary spinal cord metastasis", broader_id=21, aliases="Cord metastasis")
ASTROCYTOMA = Diagnosis(pk=25, name="Spinal cord astrocytoma")
EPENDYMOMA = Diagnosis(pk=26, name="Spinal cord ependymoma")
FAMILY = [METASTASIS, SPINAL_METS, VERTEBRAL, NET, CORD, ASTROCYTOMA, EPENDYMOMA, IDEM]


@pytest.mark.parametrize(
    "diagnosis, text, outcome",
    [
        (NET, "NET mets", CORRECT),
        (NET, "T6 NET metastasis", CORRECT),  # words around the name
        (NET, "vertebral metastasis", Attempt.Outcome.BROADER),
        (NET, "bony mets", Attempt.Outcome.BROADER),
        (NET, "spinal mets", Attempt.Outcome.BROADER),
        (NET, "metastatic disease", Attempt.Outcome.BROADER),  # any depth
        (NET, "Spinal metastisis", Attempt.Outcome.BROADER),  # a typo of a broader term
        (VERTEBRAL, "NET metastasis", WRONG),  # narrower is wrong
        (NET, "cord mets", WRONG),  # a sibling branch is wrong
        (CORD, "vertebral metastasis", WRONG),
        (CORD, "cord mets", CORRECT),
    ],
)
def test_a_broader_term_earns_partial_credit_and_a_narrower_or_sibling_none(diagnosis, text, outcome):
    grade = grade_answer(diagnosis=diagnosis, text=text, vocabulary=FAMILY)
    assert grade.outcome == outcome
    assert grade.score == {CORRECT: 1, Attempt.Outcome.BROADER: 0.5}.get(outcome, 0)


@pytest.mark.parametrize(
    "text",
    [
        "Spinal cord astrocytoma or spinal cord ependymoma",
        "spinal cord ependymoma vs spinal cord astrocytoma",
        "Spinal cord astrocytoma/spinal cord ependymoma",
        "spinal cord astrocytoma versus cord mets",
        "?spinal cord astrocytoma",
        "? spinal cord astrocytoma",
        "(?spinal cord astrocytoma)",
        "spinal cord astrocytoma (?)",
        "Possible: spinal cord astrocytoma",
        "possible spinal cord astrocytoma",
        "Probable spinal cord astrocytoma",
        "spinal cord astrocytoma?",
        "spinal cord astrocytoma or spinal cord ependymoma or cord metastasis",
        "spinal cord astrocytoma or something else",
    ],
)
def test_a_hedged_answer_earns_nothing_even_when_it_contains_the_diagnosis(text):
    assert grade_answer(diagnosis=ASTROCYTOMA, text=text, vocabulary=FAMILY).outcome == WRONG


@pytest.mark.parametrize(
    "diagnosis, text",
    [
        (CORD, "Cord metastasis / intramedullary spinal cord metastasis"),  # two spellings of one entity
        (CORD, "C1/C2 cord metastasis"),  # levels are not alternatives
        (Diagnosis(pk=30, name="Astrocytoma or ependymoma"), "astrocytoma OR ependymoma"),  # a name with 'or'
        (Diagnosis(pk=31, name="Disc herniation/prolapse"), "disc herniation / prolapse"),
    ],
)
def test_names_with_slashes_and_or_and_repeated_spellings_are_not_hedges(diagnosis, text):
    assert grade_answer(diagnosis=diagnosis, text=text, vocabulary=FAMILY).outcome == CORRECT


def test_a_cycle_in_broader_links_does_not_hang_the_grader():
    a = Diagnosis(pk=40, name="Entity A", broader_id=41)
    b = Diagnosis(pk=41, name="Entity B", broader_id=40)
    assert grade_answer(diagnosis=a, text="Entity B", vocabulary=[a, b]).outcome == Attempt.Outcome.BROADER


def test_a_multiple_choice_broader_term_earns_partial_credit_and_a_narrower_one_none():
    assert grade_choice(diagnosis=NET, chosen=VERTEBRAL, vocabulary=FAMILY).outcome == Attempt.Outcome.BROADER
    assert grade_choice(diagnosis=NET, chosen=METASTASIS, vocabulary=FAMILY).score == 0.5
    assert grade_choice(diagnosis=VERTEBRAL, chosen=NET, vocabulary=FAMILY).outcome == WRONG
    assert grade_choice(diagnosis=NET, chosen=CORD, vocabulary=FAMILY).outcome == WRONG
