"""What a resident's attempts add up to: accuracy by facet, over time, and the cases most missed."""

from collections import Counter, defaultdict

from django.utils import timezone

from cases.filters import breakdown_facets


def accuracy_by_facet(questions):
    """[{label, rows: [{value, answered, correct}]}] for answered questions (cases prefetched for_list).

    A case counts under each value it has: one spanning two regions counts in both.
    """
    per_case = {}
    for question in questions:
        _, answered, correct = per_case.get(question.case_id, (question.case, 0, 0))
        per_case[question.case_id] = (question.case, answered + 1, correct + question.attempt.score)
    return accuracy_of_cases(per_case.values())


def accuracy_of_cases(tallies):
    """accuracy_by_facet from [(case, answered, correct)], tallied per case first: each case's facet
    labels are read once, however many answers it has."""
    tallies = [row for row in tallies if row[1]]
    facets = breakdown_facets([case for case, _, _ in tallies])
    by_value = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for case, answered, correct in tallies:
        for facet in facets:
            for value in facet.labels_of(case):
                tally = by_value[facet.label][value]
                tally[0] += answered
                tally[1] += correct
    return [
        {
            "label": facet.label,
            "rows": [
                {"value": value, "answered": answered, "correct": correct}
                for value, (answered, correct) in sorted(by_value[facet.label].items())
            ],
        }
        for facet in facets
        if facet.label in by_value
    ]


def attempts_by_day(questions):
    """[{day, answered, correct}], oldest first, in the site's time zone."""
    days = defaultdict(lambda: [0, 0])
    for question in questions:
        tally = days[timezone.localdate(question.attempt.created_at)]
        tally[0] += 1
        tally[1] += question.attempt.score
    return [{"day": day, "answered": a, "correct": c} for day, (a, c) in sorted(days.items())]


def most_missed(questions, *, limit=5):
    """[{case, missed, answered}] for cases missed at least once, most missed first."""
    answered, missed, cases = Counter(), Counter(), {}
    for question in questions:
        cases[question.case_id] = question.case
        answered[question.case_id] += 1
        missed[question.case_id] += 1 - question.attempt.score
    ranked = sorted((pk for pk in missed if missed[pk]), key=lambda pk: (-missed[pk], cases[pk].title))
    return [{"case": cases[pk], "missed": missed[pk], "answered": answered[pk]} for pk in ranked[:limit]]
