"""quiz.grading: free text matched on the server up to case, accents, punctuation and word order."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.models import Diagnosis
from cases.text import fold
from quiz.grading import credit_differentials, grade_answer, grade_choice
from quiz.models import Attempt

IDEM = Diagnosis(pk=1, name="Intradural extramedullary metastasis", aliases="IDEM metastasis\nDrop metastasis")
SPONDYLODISCITIS = Diagnosis(pk=2, name="Infectious spondylodiscitis", aliases="Spondylodiscite infectieuse")
LYMPHOMA = Diagnosis(pk=3, name="Spinal lymphoma")

CORRECT, CLOSE, WRONG = Attempt.Outcome.CORRECT, Attempt.Outcome.CLOSE, Attempt.Outcome.WRONG


@pytest.mark.parametrize("text", [
    "Intradural extramedullary metastasis",          # exact
    "intradural extramedullary metastasis",          # case
    "  INTRADURAL   EXTRAMEDULLARY METASTASIS  ",    # case and spacing
    "Intradural-extramedullary metastasis.",         # punctuation
    "metastasis, intradural extramedullary",         # word order
    "IDEM metastasis",                               # alias
    "I.D.E.M. metastasis",                           # alias with dotted abbreviation
    "drop METASTASIS",                               # second alias, case
])
def test_names_and_aliases_are_correct_in_any_spelling(text):
    grade = grade_answer(diagnosis=IDEM, text=text)
    assert grade.outcome == CORRECT
    assert grade.score == 1


@pytest.mark.parametrize("text", [
    "Spondylodiscite infectieuse", "spondylodiscité infectieuse", "SPONDYLODISCITE-INFECTIEUSE",
])
def test_accents_are_ignored(text):
    assert grade_answer(diagnosis=SPONDYLODISCITIS, text=text).outcome == CORRECT


@pytest.mark.parametrize("diagnosis, text, nearest", [
    (IDEM, "Intradural extramedulary metastasis", "Intradural extramedullary metastasis"),   # letter dropped
    (IDEM, "intradrual extramedullary metastasis", "Intradural extramedullary metastasis"),  # letters swapped
    (IDEM, "IDEM metastisis", "IDEM metastasis"),                                            # alias misspelt
    (SPONDYLODISCITIS, "infectious spondilodiscitis", "Infectious spondylodiscitis"),
])
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
    assert grade_answer(diagnosis=LYMPHOMA, text="Spinal lipoma", other_names=["Spinal lipoma"]).outcome == WRONG
    assert grade_answer(diagnosis=LYMPHOMA, text="Spinal lipomaa", other_names=["Spinal lipoma"]).outcome == WRONG


def test_multiple_choice_is_right_or_wrong():
    assert grade_choice(diagnosis=IDEM, chosen=IDEM).outcome == CORRECT
    assert grade_choice(diagnosis=IDEM, chosen=LYMPHOMA).outcome == WRONG
    assert grade_choice(diagnosis=IDEM, chosen=None).outcome == WRONG


def test_differentials_are_credited_once_each_when_they_match_the_case_list():
    meningioma, schwannoma = Diagnosis(pk=10, name="Meningioma"), Diagnosis(pk=11, name="Schwannoma")
    result = credit_differentials(
        alternatives=[meningioma, schwannoma], texts=["MENINGIOMA", "meningiomma", "schwanoma", "Ependymoma"])
    assert result == [
        {"text": "MENINGIOMA", "credited": "Meningioma"},
        {"text": "meningiomma", "credited": ""},  # Meningioma already credited
        {"text": "schwanoma", "credited": "Schwannoma"},  # typos count for differentials
        {"text": "Ependymoma", "credited": ""},
    ]


@given(text=st.text())
def test_no_typed_answer_crashes_the_grader(text):
    grade = grade_answer(diagnosis=IDEM, text=text, other_names=["Spinal lymphoma", "Meningioma"])
    assert grade.outcome in {CORRECT, CLOSE, WRONG}
    credit_differentials(alternatives=[LYMPHOMA], texts=[text])


@given(name=st.text(min_size=1), aliases=st.text())
def test_no_diagnosis_name_crashes_the_grader_and_a_name_matches_itself(name, aliases):
    diagnosis = Diagnosis(pk=5, name=name, aliases=aliases)
    grade = grade_answer(diagnosis=diagnosis, text=name)
    assert grade.outcome == (CORRECT if fold(name) else WRONG)  # a name with no letter or digit matches nothing
