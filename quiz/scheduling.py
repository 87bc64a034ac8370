"""When a resident should see a case again: the one place the spaced-repetition algorithm lives.

FSRS (the pinned ``fsrs`` package) with one short learning step: a case missed ("Again") is due
again ten minutes later, so today's review queue brings it back in the same sitting, while a case
recalled graduates to days at once. Fuzzing is off so that two residents with the same history get
the same schedule.
"""

from datetime import UTC, timedelta

from fsrs import Card, Rating, Scheduler

STEP = timedelta(minutes=10)
# Again goes through the learning step; Hard, Good and Easy are scheduled in days (FSRS alone would
# give Hard 1.5 steps on a new card).
_again = Scheduler(learning_steps=(STEP,), relearning_steps=(STEP,), enable_fuzzing=False)
_recalled = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def schedule_review(*, card_state, rating, now):
    """The card's next state and due time after a review rated 1 (Again) to 4 (Easy) at ``now``.

    ``card_state`` is what a previous call returned, or an empty dict for a case never reviewed.
    """
    card = Card.from_dict(card_state) if card_state else Card(card_id=0, due=now)
    scheduler = _again if Rating(rating) == Rating.Again else _recalled
    card, _log = scheduler.review_card(card, Rating(rating), review_datetime=now.astimezone(UTC))
    return card.to_dict(), card.due
