"""Answers as residents type them, graded against the demo cases as a teacher would (data/answer_variants.yaml)."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Diagnosis, Differential
from quiz.grading import ancestors, grade_answer
from tests.quiz_helpers import DEMO_FIXTURE

VARIANTS_FILE = Path(__file__).resolve().parent / "data" / "answer_variants.yaml"
VERDICTS = ("correct", "broader", "close", "wrong")
BLOCKS = yaml.safe_load(VARIANTS_FILE.read_text(encoding="utf-8"))


def _variants():
    for block in BLOCKS:
        for verdict in VERDICTS:
            for item in block.get(verdict, []):
                item = item if isinstance(item, dict) else {"answer": item}
                marks = [pytest.mark.xfail(reason=item["xfail"], strict=True)] if "xfail" in item else []
                expected = item.get("verdict", verdict)
                yield pytest.param(
                    block["final"],
                    str(item["answer"]),
                    expected,
                    marks=marks,
                    id=f"{block['final'][:24]}:{expected}:{item['answer']}",
                )


VARIANTS = list(_variants())
_DEMO = {}


@pytest.fixture
def demo(db):
    """The demo vocabulary, by slug, and the demo cases' final diagnoses: loaded in the first test, kept in memory."""
    if not _DEMO:
        call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)
        _DEMO["vocabulary"] = list(Diagnosis.objects.only("slug", "name", "aliases", "broader_id"))
        _DEMO["finals"] = sorted(Differential.objects.filter(is_final=True).values_list("diagnosis__slug", flat=True))
    return _DEMO["vocabulary"], {d.slug: d for d in _DEMO["vocabulary"]}, _DEMO["finals"]


def test_there_are_at_least_150_variants_and_a_block_for_each_of_the_eight_demo_cases(demo):
    _, _, finals = demo
    assert len(VARIANTS) >= 150
    assert len(finals) == 8
    assert sorted(block["final"] for block in BLOCKS) == finals  # one block per case, by its final diagnosis
    assert all(len(block["wrong"]) >= 5 and len(block["correct"]) >= 5 for block in BLOCKS)


@pytest.mark.parametrize("final, answer, verdict", VARIANTS)
def test_a_resident_answer_gets_the_teachers_verdict(demo, final, answer, verdict):
    vocabulary, by_slug, _ = demo
    grade = grade_answer(diagnosis=by_slug[final], text=answer, vocabulary=vocabulary)
    assert grade.outcome == verdict


def test_every_name_in_the_vocabulary_is_graded_by_its_place_in_the_family(demo):
    """For each demo final: its names are correct, its broader terms' names half, every other name wrong."""
    vocabulary, by_slug, finals = demo
    by_pk = {d.pk: d for d in vocabulary}
    for final in map(by_slug.get, set(finals)):
        family = {d.pk for d in ancestors(final, by_pk)}
        for entry in vocabulary:
            expected = "correct" if entry.pk == final.pk else "broader" if entry.pk in family else "wrong"
            for name in entry.names():
                grade = grade_answer(diagnosis=final, text=name, vocabulary=vocabulary)
                assert grade.outcome == expected, (final.slug, name)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(min_value=0, max_value=len(VARIANTS) - 1),
    upper=st.booleans(),
    before=st.sampled_from(["", " ", "  ", "(", '"']),
    after=st.sampled_from(["", ".", " ", ")", "!", '"']),
)
def test_case_and_surrounding_punctuation_never_change_a_verdict(demo, index, upper, before, after):
    vocabulary, by_slug, _ = demo
    final, answer, _ = VARIANTS[index].values
    typed = before + (answer.upper() if upper else answer) + after
    assert (
        grade_answer(diagnosis=by_slug[final], text=typed, vocabulary=vocabulary).outcome
        == grade_answer(diagnosis=by_slug[final], text=answer, vocabulary=vocabulary).outcome
    )
