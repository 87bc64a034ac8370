"""Steps and checks the quiz tests share: start a run, answer, and look for spoilers in a response."""

import html
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from quiz.models import QuizRun

DEMO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "demo_cases.yaml"

_DATALIST = re.compile(r"<datalist id=\"diagnosis-names\">(.*?)</datalist>", re.S)
_OPTIONS = re.compile(r"<fieldset class=\"options\">(.*?)</fieldset>", re.S)
_OPTION_LABEL = re.compile(r"<label for=\"id_choice_\d+\">(.*?)</label>")


def load_demo_cases():
    if not DEMO_FIXTURE.exists():
        pytest.skip("fixtures/demo_cases.yaml is not written yet")
    call_command("loaddata", str(DEMO_FIXTURE), verbosity=0)


def start_quiz(client, *, mode="practice", answer_format="free_text", count=10, **filters):
    """Start a run through the start form, as a resident would; returns the run."""
    response = client.post("/quiz/", {"count": count, "mode": mode, "answer_format": answer_format, **filters})
    assert response.status_code == 302, response.content.decode()[:2000]
    return QuizRun.objects.latest("created_at")


def question_url(run, n):
    return f"/quiz/{run.token}/{n}/"


def spoilers(case):
    """What must not be shown before the reveal: diagnosis names and aliases, the citations."""
    differentials = list(case.differentials.select_related("diagnosis"))
    final = next(d.diagnosis for d in differentials if d.is_final)
    return {
        "final": final.name,
        "aliases": final.alias_list(),
        "differentials": [d.diagnosis.name for d in differentials if not d.is_final],
        "citations": [ref.citation for ref in case.references.all()],
    }


def _found(text, phrase):
    """Case-blind; short abbreviations ('MS', 'MIM') only as whole words, not inside 'mimic'."""
    if len(phrase) > 5:
        return phrase.casefold() in text.casefold()
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text, re.I) is not None


def options_offered(response):
    """The multiple-choice options' labels, in page order."""
    block = _OPTIONS.search(response.content.decode())
    return [html.unescape(label) for label in _OPTION_LABEL.findall(block.group(1))] if block else []


def leaked(response, cases):
    """The spoilers of these cases found in the response (body and headers), outside the answer inputs.

    The <datalist> (the whole vocabulary, the same for every case) and the multiple-choice options
    (which the tests check separately) are left out.
    """
    body = _OPTIONS.sub("", _DATALIST.sub("", response.content.decode()))
    text = html.unescape(body) + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    found = []
    for case in cases:
        secrets = spoilers(case)
        names = [secrets["final"], *secrets["aliases"], *secrets["differentials"]]
        found += [name for name in names if _found(text, name)]
        found += [citation for citation in secrets["citations"] if citation in text]
    return found


def shown(response, case):
    """The spoilers a reveal must show: the final diagnosis, the differential list and the citations."""
    text = html.unescape(response.content.decode())
    secrets = spoilers(case)
    return all(_found(text, name) for name in [secrets["final"], *secrets["differentials"]]) and all(
        citation in text for citation in secrets["citations"]
    )
