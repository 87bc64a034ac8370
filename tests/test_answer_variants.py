"""Answers as residents type them, graded against the demo cases as a teacher would (tests/data/answer_variants.yaml)."""
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from cases.models import Diagnosis, Differential
from quiz.grading import grade_answer
from tests.quiz_helpers import DEMO_FIXTURE

VARIANTS_FILE = Path(__file__).resolve().parent / "data" / "answer_variants.yaml"
VERDICTS = ("correct", "broader", "close", "wrong")


def _variants():
    for block in yaml.safe_load(VARIANTS_FILE.read_text(encoding="utf-8")):
        for verdict in VERDICTS:
            for item in block.get(verdict, []):
                item = item if isinstance(item, dict) else {"answer": item}
                marks = [pytest.mark.xfail(reason=item["xfail"], strict=True)] if "xfail" in item else []
                expected = item.get("verdict", verdict)
                yield pytest.param(block["case"], str(item["answer"]), expected, marks=marks,
                                   id=f"{block['case'][:24]}:{expected}:{item['answer']}")


VARIANTS = list(_variants())


_DEMO = {}


@pytest.fixture
def demo(db):
    """The demo vocabulary and each case's final diagnosis: loaded in the first test, kept in memory."""
    if not _DEMO:
        call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)
        _DEMO["vocabulary"] = list(Diagnosis.objects.only("name", "aliases", "broader_id"))
        _DEMO["finals"] = {d.case.slug: d.diagnosis for d in Differential.objects.filter(is_final=True).select_related(
            "case", "diagnosis")}
    return _DEMO["vocabulary"], _DEMO["finals"]


def test_there_are_at_least_150_variants_over_all_eight_cases():
    assert len(VARIANTS) >= 150
    assert len({param.values[0] for param in VARIANTS}) == 8


@pytest.mark.parametrize("case_slug, answer, verdict", VARIANTS)
def test_a_resident_answer_gets_the_teachers_verdict(demo, case_slug, answer, verdict):
    vocabulary, finals = demo
    grade = grade_answer(diagnosis=finals[case_slug], text=answer, vocabulary=vocabulary)
    assert grade.outcome == verdict
