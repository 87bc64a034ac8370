"""When a case comes back for review: FSRS behind quiz.scheduling.schedule_review, time passed in."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from quiz.models import Attempt, QuizRun, Recall, ReviewCard
from quiz.runs import rate_recall, review_case
from quiz.scheduling import schedule_review
from tests.factories import make_case
from tests.quiz_helpers import question_url, start_quiz

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def due_after(*ratings, now=NOW):
    """How long after the last review the card is due, after reviewing it with these ratings on schedule."""
    state, due = {}, now
    for rating in ratings:
        reviewed_at = due
        state, due = schedule_review(card_state=state, rating=rating, now=reviewed_at)
    return due - reviewed_at


def test_a_miss_comes_back_sooner_than_a_hit():
    assert due_after(Recall.AGAIN) < due_after(Recall.GOOD) < due_after(Recall.EASY)
    assert due_after(Recall.AGAIN) == timedelta(minutes=10)  # back in the same sitting, not tomorrow
    assert due_after(Recall.HARD) >= timedelta(days=1)  # a case recalled, even with difficulty, waits a day
    assert due_after(Recall.AGAIN, Recall.GOOD) >= timedelta(days=1)  # missed, then recalled in the same sitting
    assert due_after(Recall.HARD) <= due_after(Recall.GOOD)


def test_intervals_grow_with_each_good_review_and_shrink_after_a_lapse():
    good = Recall.GOOD
    assert due_after(good) < due_after(good, good) < due_after(good, good, good)
    assert due_after(Recall.GOOD, Recall.GOOD, Recall.AGAIN) < due_after(Recall.GOOD, Recall.GOOD)


def test_the_due_time_follows_the_injected_now_and_the_state_round_trips():
    later = NOW + timedelta(days=40)
    state, due = schedule_review(card_state={}, rating=Recall.GOOD, now=later)
    assert due == later + timedelta(days=2)
    assert state["last_review"] == later.isoformat()
    again_state, again_due = schedule_review(card_state=state, rating=Recall.GOOD, now=due)
    assert again_due > due + timedelta(days=2)


@pytest.mark.django_db
def test_the_review_queue_holds_what_is_due_by_the_end_of_today():
    user = User.objects.create_user("ada")
    cases = [make_case() for _ in range(4)]
    for case, due in zip(
        cases,
        [NOW - timedelta(days=3), NOW + timedelta(hours=10), NOW + timedelta(days=1), NOW + timedelta(days=20)],
        strict=True,
    ):
        ReviewCard.objects.create(user=user, case=case, due=due, last_reviewed_at=NOW - timedelta(days=5))
    ReviewCard.objects.create(user=User.objects.create_user("ben"), case=cases[3], due=NOW, last_reviewed_at=NOW)
    assert [card.case for card in ReviewCard.objects.filter(user=user).due(now=NOW)] == cases[:2]


@pytest.mark.django_db
def test_rating_a_wrong_answer_again_schedules_it_sooner_than_a_right_one(client):
    user = User.objects.create_user("ada", password="a long enough password 42")
    client.force_login(user)
    make_case()
    make_case()
    run = start_quiz(client, count=2)
    client.post(question_url(run, 1), {"answer": "Meningioma"})
    client.post(question_url(run, 2), {"answer": "IDEM metastasis"})
    missed, hit = Attempt.objects.order_by("question__position")
    for attempt in (missed, hit):  # the preselected ratings: Again for the miss, Good for the hit
        rate_recall(attempt=attempt, rating=attempt.suggested_recall(), user=user, now=NOW)
    missed_card = ReviewCard.objects.get(case=missed.question.case)
    hit_card = ReviewCard.objects.get(case=hit.question.case)
    assert missed_card.due == NOW + timedelta(minutes=10)
    assert hit_card.due == NOW + timedelta(days=2)
    # The miss is in today's review queue at once: "Again" brings it back in the same sitting.
    assert [c.case for c in ReviewCard.objects.due(now=NOW)] == [missed.question.case]


@pytest.mark.django_db
def test_each_review_builds_on_the_cards_state():
    user = User.objects.create_user("ada")
    case = make_case()
    review_case(user=user, case_id=case.pk, rating=Recall.GOOD, now=NOW)
    first_due = ReviewCard.objects.get().due
    review_case(user=user, case_id=case.pk, rating=Recall.GOOD, now=first_due)
    card = ReviewCard.objects.get()
    assert card.due - first_due > first_due - NOW
    assert card.last_reviewed_at == first_due


@pytest.mark.django_db
def test_a_replayed_rating_counts_once(client):
    """A second POST of a rating (a double click, a resubmitted form) neither re-rates nor reschedules."""
    user = User.objects.create_user("ada", password="a long enough password 42")
    client.force_login(user)
    make_case()
    run = start_quiz(client, count=1)
    client.post(question_url(run, 1), {"answer": "IDEM metastasis"})
    client.post(question_url(run, 1) + "rate/", {"recall": "3"})
    card = ReviewCard.objects.get()
    first = (card.state, card.due, card.last_reviewed_at)
    for recall in ("3", "1"):
        assert client.post(question_url(run, 1) + "rate/", {"recall": recall}).status_code == 302
    card.refresh_from_db()
    assert (card.state, card.due, card.last_reviewed_at) == first
    assert Attempt.objects.get().recall == 3


@pytest.mark.django_db
def test_a_case_rated_again_comes_back_in_todays_review_run(client):
    """Missed and rated Again: the Progress page's review run, started at once, serves it again."""
    user = User.objects.create_user("ada", password="a long enough password 42")
    client.force_login(user)
    missed, _other = make_case(), make_case()
    run = start_quiz(client, count=2)
    position = run.questions.get(case=missed).position
    client.post(question_url(run, position), {"answer": "Meningioma"})
    assert client.post(question_url(run, position) + "rate/", {"recall": "1"}).status_code == 302
    response = client.post("/progress/review/", {"answer_format": "free_text"})
    assert response.status_code == 302
    review = QuizRun.objects.latest("created_at")
    assert review.is_review and list(review.questions.values_list("case", flat=True)) == [missed.pk]


@pytest.mark.parametrize(
    ("outcome", "recall"),
    [
        (Attempt.Outcome.CORRECT, Recall.GOOD),
        (Attempt.Outcome.CLOSE_CONFIRMED, Recall.HARD),
        (Attempt.Outcome.BROADER, Recall.HARD),  # the right family: recalled in part, not missed
        (Attempt.Outcome.WRONG, Recall.AGAIN),
    ],
)
def test_the_preselected_rating_follows_the_grade(outcome, recall):
    assert Attempt(outcome=outcome).suggested_recall() == recall
