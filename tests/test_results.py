"""teaching.results: the sums behind an assignment's results, on rows built here (no database)."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teaching import results
from teaching.charts import BAR_WIDTH, bar_chart, timeline_chart


class Entry:
    """A vocabulary entry as the grader reads one: pk, name, broader_id and names()."""

    def __init__(self, pk, name, aliases=(), broader_id=None):
        self.pk, self.name, self.aliases, self.broader_id = pk, name, list(aliases), broader_id

    def names(self):
        return [self.name, *self.aliases]


VOCABULARY = [
    Entry(1, "Schwannoma", ["Neurinoma", "Neurilemmoma"]),
    Entry(2, "Meningioma"),
    Entry(3, "Intradural extramedullary metastasis", ["IDEM metastasis"]),
    Entry(4, "Ependymoma"),
]
WHEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def attempt(text, *, score=0.0, outcome=None, user_id=1, case_id=10, chosen=None, seconds=30, when=WHEN):
    return {
        "user_id": user_id,
        "case_id": case_id,
        "answer_text": text,
        "chosen_diagnosis_id": chosen,
        "outcome": outcome or ("correct" if score == 1 else "wrong"),
        "score": score,
        "time_taken": timedelta(seconds=seconds),
        "created_at": when,
    }


def test_spellings_plurals_and_aliases_of_one_entity_make_one_group_named_by_the_vocabulary():
    rows = [attempt(t) for t in ["Schwannoma", "schwannomas", "neurinoma", "Meningioma", " meningiomas "]]
    rows.append(attempt("IDEM metastasis", score=1))  # right: not an answer "instead"
    groups = results.answer_groups(rows, VOCABULARY)
    assert [(g["label"], g["count"], g["matched"]) for g in groups] == [
        ("Schwannoma", 3, True),
        ("Meningioma", 2, True),
    ]
    assert groups[0]["typed"] == ["Schwannoma", "schwannomas", "neurinoma"]


def test_unmatched_text_is_grouped_by_its_normalised_words_and_hedges_apart():
    rows = [
        attempt("Haemangiomas"),
        attempt("hemangioma"),
        attempt("Schwannoma or meningioma"),
        attempt("?Schwannoma"),
        attempt(""),
        attempt("Intradural extramedullary metastases", score=0.5, outcome="broader"),
    ]
    groups = {g["label"]: g for g in results.answer_groups(rows, VOCABULARY)}
    assert groups["hemangioma"]["count"] == 2 and not groups["hemangioma"]["matched"]
    assert groups["schwannoma or meningioma"]["hedged"]
    assert groups["schwannoma"]["hedged"] and groups["schwannoma"]["typed"] == ["?Schwannoma"]
    assert groups["No answer"]["count"] == 1
    assert groups["Intradural extramedullary metastasis"]["matched"]  # a partial-credit answer is one "instead"


def test_a_chosen_option_is_grouped_under_its_entity():
    rows = [attempt("Ependymoma", chosen=4), attempt("ependymomas")]
    assert [(g["label"], g["count"]) for g in results.answer_groups(rows, VOCABULARY)] == [("Ependymoma", 2)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.text(max_size=40),
                st.sampled_from(["Schwannoma", "neurinomas", "?meningioma", "X vs Y", "mets", "", "  ", "=1+1"]),
            ),
            st.sampled_from([0, 0.5, 1]),
            st.sampled_from([None, 1, 2, 99]),
        ),
        max_size=25,
    )
)
def test_any_answers_make_groups_whose_counts_sum_to_the_attempts_not_right(answers):
    rows = [attempt(text, score=score, chosen=chosen) for text, score, chosen in answers]
    groups = results.answer_groups(rows, VOCABULARY)
    assert sum(g["count"] for g in groups) == sum(1 for row in rows if row["score"] < 1)
    assert all(g["count"] > 0 and str(g["label"]) for g in groups)
    assert [g["count"] for g in groups] == sorted((g["count"] for g in groups), reverse=True)


def test_discrimination_on_a_hand_computed_example():
    # Seven residents; 27% of 7 is 1.89, so the upper and lower groups hold 2 each.
    # Totals: a 3, b 2.5, c 2, d 1.5, e 1, f 0.5, g 0. Upper = a, b; lower = f, g.
    scores = {
        "a": {1: 1, 2: 1, 3: 1},
        "b": {1: 1, 2: 0.5, 3: 1},
        "c": {1: 1, 2: 1, 3: 0},
        "d": {1: 0.5, 2: 1, 3: 0},
        "e": {1: 1, 2: 0, 3: 0},
        "f": {1: 0, 2: 0, 3: 0.5},
        "g": {1: 0, 2: 0},
    }
    index = results.discrimination(scores, [1, 2, 3])
    # case 1: upper (1 + 1) / 2 = 1, lower (0 + 0) / 2 = 0 → 1.0
    # case 2: upper (1 + 0.5) / 2 = 0.75, lower 0 → 0.75
    # case 3: upper (1 + 1) / 2 = 1, lower (0.5 + 0) / 2 = 0.25 → 0.75
    assert index == pytest.approx({1: 1.0, 2: 0.75, 3: 0.75})


def test_discrimination_is_not_given_below_four_residents():
    assert results.discrimination({"a": {1: 1}, "b": {1: 0}, "c": {1: 0}}, [1]) == {1: None}
    # Four residents: groups of round(1.08) = 1: the best minus the worst.
    four = {"a": {1: 1, 2: 0}, "b": {1: 1}, "c": {1: 0, 2: 1}, "d": {2: 0}}
    assert results.discrimination(four, [1, 2]) == {1: 1, 2: 0}


def test_each_residents_score_is_their_points_over_the_number_of_cases():
    ada, ben, cy = (SimpleNamespace(pk=pk) for pk in (1, 2, 3))
    sums = {
        1: {"answered": 2, "total": 1.5, "time": timedelta(seconds=60)},
        2: {"answered": 1, "total": 0.0, "time": timedelta(seconds=30)},
    }
    runs = [{"user_id": 1, "finished_at": WHEN}, {"user_id": 2, "finished_at": None}]
    table = results.resident_results(residents=[ada, ben, cy], runs=runs, sums=sums, case_count=4)
    assert [(r["status"], r["answered"], r["score"], r["time"]) for r in table] == [
        ("finished", 2, 1.5 / 4, timedelta(seconds=60)),
        ("in_progress", 1, 0, timedelta(seconds=30)),
        ("not_started", 0, 0, None),
    ]


def test_accuracy_over_time_counts_each_residents_answers_on_the_day_they_started():
    runs = [
        {"user_id": 1, "created_at": WHEN},
        {"user_id": 2, "created_at": WHEN + timedelta(days=1)},
        {"user_id": 3, "created_at": WHEN},  # started, answered nothing
    ]
    sums = {1: {"answered": 2, "total": 1.5, "time": None}, 2: {"answered": 4, "total": 1.0, "time": None}}
    days = results.accuracy_by_day_started(runs=runs, sums=sums)
    assert [(d["answered"], d["correct"]) for d in days] == [(2, 1.5), (4, 1.0)]
    assert days[1]["day"] - days[0]["day"] == timedelta(days=1)


def test_identical_answers_counted_together_weigh_their_count():
    rows = [{**attempt("Schwannoma"), "count": 3}, {**attempt("neurinoma"), "count": 2}]
    assert [(g["label"], g["count"]) for g in results.answer_groups(rows, VOCABULARY)] == [("Schwannoma", 5)]


def test_only_the_most_common_answer_groups_are_listed_and_the_rest_counted():
    cases = [(1, SimpleNamespace(pk=10))]
    answers = [{**attempt(f"Nonsense {n}"), "count": n + 1} for n in range(results.GROUPS_SHOWN + 2)]
    (row,) = results.case_results(
        cases=cases, finals={}, sums={}, group_size=None, answers=answers, vocabulary=VOCABULARY
    )
    assert len(row["instead"]) == results.GROUPS_SHOWN and row["instead"][0]["label"] == "nonsense 11"
    assert (row["other_groups"], row["other_answers"]) == (2, 1 + 2)


def test_spreadsheet_safe_defuses_formulas_only():
    assert [results.spreadsheet_safe(v) for v in ["=1+1", "+A1", "-2", "@SUM(A1)", "\tx", "fine", "", 3]] == [
        "'=1+1",
        "'+A1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "fine",
        "",
        3,
    ]


def test_a_bar_chart_scales_accuracy_to_its_bar():
    chart = bar_chart("Accuracy by region", [{"value": "Lumbar", "answered": 4, "correct": 3}])
    bar = chart["bars"][0]
    assert (bar["percent"], bar["width"]) == (75, 0.75 * BAR_WIDTH)
    assert chart["description"] == "Accuracy by region: Lumbar 75%."


def test_a_timeline_puts_each_day_at_its_accuracy():
    days = [
        {"day": WHEN.date(), "answered": 2, "correct": 2},
        {"day": WHEN.date() + timedelta(1), "answered": 4, "correct": 1},
    ]
    chart = timeline_chart(days)
    assert [p["percent"] for p in chart["points"]] == [100, 25]
    assert chart["points"][0]["y"] < chart["points"][1]["y"]  # higher accuracy is drawn higher
    assert timeline_chart([]) is None
