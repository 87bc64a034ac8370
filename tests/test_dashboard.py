"""/teaching/: what faculty read after an assignment, and only about their own cohorts."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from quiz.models import Attempt, Question, QuizRun

from .dashboard_helpers import answer, assignment, cohort, faculty, resident, signed_in, thursday_exam
from .markup import assert_valid_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def exam():
    return thursday_exam()


def urls(exam):
    pk, ada = exam["exam"].pk, exam["ada"].pk
    return [
        "/teaching/",
        f"/teaching/assignments/{pk}/results/",
        f"/teaching/assignments/{pk}/results.csv",
        f"/teaching/cohorts/{exam['cohort'].pk}/residents/{ada}/",
    ]


def test_anonymous_visitors_are_sent_to_sign_in_and_residents_are_refused(client, exam):
    for url in urls(exam):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
        assert signed_in(exam["ada"]).get(url).status_code == 403, url


def test_another_teachers_assignment_cohort_and_residents_are_not_found(exam):
    gil = faculty("gil")
    cohort("Year 2", gil, [resident("dan")])
    browser = signed_in(gil)
    for url in urls(exam)[1:]:
        assert browser.get(url).status_code == 404, url
    page = browser.get("/teaching/").content.decode()
    assert "Year 2" in page and "Year 1" not in page and "Thursday unknowns" not in page


def test_a_resident_outside_the_cohort_and_a_wrong_id_are_not_found(exam):
    browser = signed_in(exam["fay"])
    stranger = resident("eve")
    assert browser.get(f"/teaching/cohorts/{exam['cohort'].pk}/residents/{stranger.pk}/").status_code == 404
    assert browser.get(f"/teaching/cohorts/{exam['cohort'].pk}/residents/999999/").status_code == 404
    assert browser.get("/teaching/assignments/999999/results/").status_code == 404
    assert browser.get("/teaching/assignments/999999/results.csv").status_code == 404


def test_an_assignment_shared_with_another_teachers_cohort_shows_only_ones_own_residents(exam):
    lumbar, _thoracic = exam["cases"]
    dan = resident("dan", first_name="Dan", last_name="Other")
    exam["exam"].cohorts.add(cohort("Year 2", faculty("gil"), [dan]))
    answer(exam["exam"], dan, lumbar, "Dan's own answer", finished=True)
    fay = signed_in(exam["fay"])
    page = fay.get(urls(exam)[1]).content.decode()
    assert "Dan" not in page and "own answer" not in page and "1 finished" in page
    assert "dan" not in fay.get(urls(exam)[2]).content.decode()
    row = re.search(r"Thursday unknowns.*?</tr>", fay.get("/teaching/").content.decode(), re.S).group(0)
    assert re.findall(r"<td>([^<]*)</td>", row)[-2:] == ["2", "1"]  # ada and ben started, ada finished
    assert "Year 2" not in row
    other = signed_in(User.objects.get(username="gil")).get(urls(exam)[1]).content.decode()
    assert "Dan Other" in other and "Ada" not in other


def test_each_resident_links_to_their_record_in_this_teachers_cohort(exam):
    page = signed_in(exam["fay"]).get(urls(exam)[1]).content.decode()
    assert f'href="/teaching/cohorts/{exam["cohort"].pk}/residents/{exam["ada"].pk}/">Ada Lovelace</a>' in page


def test_a_superuser_reads_every_assignment(exam):
    boss = User.objects.create_superuser("boss", "boss@example.org", "x")
    assert signed_in(boss).get(urls(exam)[1]).status_code == 200


def test_the_dashboard_lists_cohorts_and_assignments_with_who_started_and_finished(exam):
    page = signed_in(exam["fay"]).get("/teaching/").content.decode()
    assert re.search(r'<a href="/teaching/cohorts/\d+/">Year 1</a></th><td>3</td>', page)
    row = re.search(r"Thursday unknowns.*?</tr>", page, re.S).group(0)
    assert f'href="/teaching/assignments/{exam["exam"].pk}/results/"' in page
    # Open, due in six days, 2 cases, 2 started, 1 finished.
    status, due, cases, started, finished = re.findall(r"<td>([^<]*)</td>", row)[1:]
    assert (status, cases, started, finished) == ("Open", "2", "2", "1")
    assert due.startswith(str(timezone.localtime(exam["exam"].due_at).day))


def test_results_show_each_residents_progress_score_and_time(exam):
    page = signed_in(exam["fay"]).get(urls(exam)[1]).content.decode()
    rows = re.findall(
        r'<tr class="resident resident--(\w+)">\s*<th scope="row"><a href="[^"]+">([^<]+)</a></th>(.*?)</tr>',
        page,
        re.S,
    )
    cells = {name: (status, re.findall(r"<td>([^<]*)</td>", rest)) for status, name, rest in rows}
    assert cells["Ada Lovelace"] == ("finished", ["Finished", "2", "1 (50%)", "2 min 00 s"])
    assert cells["ben"] == ("in_progress", ["In progress", "1", "0 (0%)", "20 s"])
    assert cells["cy"] == ("not_started", ["Not started", "0", "—", "—"])
    assert "1 not started" in page and "1 in progress" in page and "1 finished" in page


def test_results_group_what_residents_answered_instead_as_the_grader_reads_it(exam):
    page = signed_in(exam["fay"]).get(urls(exam)[1]).content.decode()
    first, second = re.findall(r'<article class="case-result".*?</article>', page, re.S)
    assert "Woman with leg heaviness" in first and "Intradural extramedullary metastasis" in first
    assert "Difficulty (share correct): 50%" in first
    assert "Discrimination: —" in first  # two residents answered: too few for the index
    # ben's "neurinoma" is the Schwannoma entry's alias; ada's "Schwannomas" its plural: both name it.
    assert re.search(r'<th scope="row">Schwannoma</th><td>1</td><td>neurinoma</td>', first)
    assert re.search(r'<th scope="row">Schwannoma</th><td>1</td><td>Schwannomas</td>', second)
    assert "Difficulty (share correct): 0%" in second and "Ependymoma" in second


def test_discrimination_on_the_page_matches_a_hand_computed_example(exam):
    lumbar, thoracic = exam["cases"]
    dan = resident("dan")
    exam["cohort"].residents.add(dan)
    answer(exam["exam"], exam["cy"], lumbar, "Spinal metastasis", score=0.5, outcome="broader")
    answer(exam["exam"], exam["cy"], thoracic, "Ependymoma", score=1)
    answer(exam["exam"], dan, thoracic, "Ependymoma", score=1)
    # Totals: cy 1.5, ada 1, dan 1, ben 0. Four residents: 27% of 4 rounds to groups of one, cy above
    # and ben below (ada and dan tie in the middle, in neither group).
    # Lumbar: cy 0.5 − ben 0 = 0.50. Thoracic: cy 1 − ben 0 (unanswered) = 1.00.
    page = signed_in(exam["fay"]).get(urls(exam)[1]).content.decode()
    first, second = re.findall(r'<article class="case-result".*?</article>', page, re.S)
    assert "Discrimination: 0.50" in first and "Discrimination: 1.00" in second


def test_the_results_csv_holds_one_row_per_resident_per_case(exam):
    lumbar, thoracic = exam["cases"]
    answer(exam["exam"], exam["ben"], thoracic, '=HYPERLINK("http://evil.example")', seconds=12)
    response = signed_in(exam["fay"]).get(urls(exam)[2])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="thursday-unknowns-{exam["exam"].pk}-results.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "username",
        "full_name",
        "email",
        "position",
        "case",
        "answer",
        "outcome",
        "score",
        "seconds_taken",
        "answered_at",
    ]
    body = rows[1:]
    assert len(body) == 3 * 2
    by_key = {(row[0], row[3]): row for row in body}
    ada_first = by_key[("ada", "1")]
    attempt = Attempt.objects.get(question__run__user=exam["ada"], question__case=lumbar)
    assert ada_first == [
        "ada",
        "Ada Lovelace",
        "ada@example.org",
        "1",
        "Woman with leg heaviness",
        "IDEM metastasis",
        "correct",
        "1",
        "50",
        attempt.created_at.isoformat(),
    ]
    assert by_key[("ben", "2")][5] == '\'=HYPERLINK("http://evil.example")'  # a formula is defused
    assert by_key[("cy", "1")][4:] == ["Woman with leg heaviness", "", "", "", "", ""]


def test_a_title_that_is_not_a_filename_gives_a_safe_one(exam):
    exam["exam"].title = '"; rm -rf / ; é?'
    exam["exam"].save()
    disposition = signed_in(exam["fay"]).get(urls(exam)[2])["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.csv"', disposition), disposition


def test_a_residents_record_shows_this_cohorts_assignments_practice_count_and_misses(exam, client):
    fay, ada = exam["fay"], exam["ada"]
    lumbar, thoracic = exam["cases"]
    practice = QuizRun.objects.create(user=ada)
    question = Question.objects.create(run=practice, position=1, case=lumbar)
    Attempt.objects.create(
        question=question, answer_text="x", outcome="wrong", time_taken=timedelta(1), created_at=timezone.now()
    )
    elsewhere = assignment("Another teacher's quiz", [cohort("Elsewhere", faculty("gil"), [ada])], [thoracic])
    answer(elsewhere, ada, thoracic, "Hidden answer")
    page = signed_in(fay).get(urls(exam)[3]).content.decode()
    assert "<h1>Ada Lovelace</h1>" in page
    assert "1 answer in their own practice." in page
    assert "Thursday unknowns" in page and "1 of 2" in page and "Finished" in page
    assert "Another teacher" not in page
    missed = re.search(r'<ol class="missed">(.*?)</ol>', page, re.S).group(1)
    assert "Man with back pain" in missed and "missed 1 of 1" in missed and "Woman with" not in missed


def test_charts_come_with_their_numbers_as_tables(exam):
    page = signed_in(exam["fay"]).get(urls(exam)[1]).content.decode()
    charts = re.findall(r'<figure class="chart">.*?</figure>', page, re.S)
    titles = [re.search(r'<figcaption class="chart__title">([^<]+)<', c).group(1) for c in charts]
    assert titles == ["Accuracy by compartment", "Accuracy by region", "Accuracy by difficulty", "Accuracy over time"]
    region = charts[1]
    assert 'role="img" aria-label="Accuracy by region: Lumbar 50%; Thoracic 0%."' in region
    assert re.search(r'<th scope="row">Lumbar</th><td>50%</td><td>1 of 2</td>', region)
    assert '<details class="chart__numbers">' in region
    assert ' style="' not in page  # the CSP refuses inline styles


def test_a_residents_progress_page_draws_its_charts(exam):
    ada = exam["ada"]
    page = signed_in(ada).get("/progress/").content.decode()
    assert 'aria-label="Accuracy by region: Lumbar 100%; Thoracic 0%."' in page
    assert "Accuracy over time" in page and 'class="chart__line"' not in page  # one day: a point, no line
    assert ' style="' not in page


def grow(exam, residents):
    """Add residents to Year 1, each answering both cases, some finished."""
    lumbar, thoracic = exam["cases"]
    for n in range(residents):
        user = resident(f"r{n}")
        exam["cohort"].residents.add(user)
        answer(exam["exam"], user, lumbar, "Meningioma", score=0)
        answer(exam["exam"], user, thoracic, f"Answer {n}", finished=n % 2 == 0)


@pytest.mark.parametrize("extra", [0, 9])
def test_each_page_runs_as_many_queries_for_3_residents_as_for_12(exam, extra, django_assert_num_queries):
    grow(exam, extra)
    browser = signed_in(exam["fay"])
    dashboard, results, csv_url, record = urls(exam)
    # 1 session, 2 user, 3 permissions (user), 4 (group), 5 cohorts with resident counts,
    # 6 assignments with counts, 7 their cohorts this teacher teaches
    with django_assert_num_queries(7):
        assert browser.get(dashboard).status_code == 200
    # 1 session, 2 user, 3-4 permissions, 5 the assignment, 6 residents, 7 assignment cases,
    # 8 their cases with primaries, 9 final diagnoses, 10 runs, 11 residents' cohorts (for links),
    # 12 sums per resident, 13 sums per case (with the upper and lower groups'), 14 the answers not right
    # (identical ones counted together), 15 the vocabulary
    with django_assert_num_queries(15):
        assert browser.get(results).status_code == 200
    # 1 session, 2 user, 3-4 permissions, 5 the assignment, 6 residents, 7 assignment cases, 8 their cases, 9 attempts
    with django_assert_num_queries(9):
        assert browser.get(csv_url).status_code == 200
    # 1 session, 2 user, 3-4 permissions, 5 the cohort, 6 the resident, 7 the cohort's assignments,
    # 8 the resident's runs, 9 answered questions, 10 their cases, 11 level spans, 12 findings, 13 practice count
    with django_assert_num_queries(13):
        assert browser.get(record).status_code == 200


def test_the_new_pages_are_valid_html(exam, tmp_path):
    browser = signed_in(exam["fay"])
    empty = faculty("new")
    pages = [(f"page{n}", browser.get(url)) for n, url in enumerate(urls(exam)) if not url.endswith(".csv")]
    pages.append(("empty-dashboard", signed_in(empty).get("/teaching/")))
    pages.append(("progress", signed_in(exam["ada"]).get("/progress/")))
    assert [r.status_code for _, r in pages] == [200] * len(pages)
    assert_valid_html(pages, tmp_path)
