"""What an assignment's answers add up to, for the faculty who set it.

Pure functions over rows already read (values() dicts and a few model rows), so a page reads each
table once however large the cohort, and each rule is tested on its own.

An attempt row is a dict with ``user_id``, ``case_id``, ``answer_text``, ``chosen_diagnosis_id``,
``outcome``, ``score``, ``time_taken`` and ``created_at``.
"""

from collections import Counter, defaultdict
from datetime import timedelta
from types import SimpleNamespace

from django.utils.translation import gettext as _

from cases.text import name_words
from quiz.grading import entity_named, is_hedged
from quiz.progress import accuracy_by_facet, attempts_by_day

# The share of residents in each of the upper and lower groups of the discrimination index.
GROUP_SHARE = 0.27
# Fewer residents than this and the two groups are one or two people: no index is shown.
DISCRIMINATION_MINIMUM = 4

NOT_STARTED, IN_PROGRESS, FINISHED = "not_started", "in_progress", "finished"


def status_of(run):
    """not started (no run), in progress, or finished, from the resident's run row (or None)."""
    if run is None:
        return NOT_STARTED
    return FINISHED if run["finished_at"] is not None else IN_PROGRESS


def resident_results(*, residents, runs, attempts, case_count):
    """[{resident, status, answered, total, score, time}] in the residents' order.

    ``score`` is the sum of scores over the number of cases (unanswered cases count 0), None with no case.
    """
    run_of = {run["user_id"]: run for run in runs}
    answered, totals, times = Counter(), Counter(), defaultdict(timedelta)
    for row in attempts:
        answered[row["user_id"]] += 1
        totals[row["user_id"]] += row["score"]
        times[row["user_id"]] += row["time_taken"] or timedelta()
    return [
        {
            "resident": resident,
            "status": status_of(run_of.get(resident.pk)),
            "answered": answered[resident.pk],
            "total": totals[resident.pk],
            "score": totals[resident.pk] / case_count if case_count else None,
            "time": times[resident.pk] if resident.pk in times else None,
        }
        for resident in residents
    ]


def discrimination(scores, case_ids):
    """{case_id: upper-lower index or None} from {resident: {case_id: score}} of the residents who started.

    Residents are ranked by total score; the index of a case is the mean score on it of the top 27% minus
    that of the bottom 27% (at least one each). Ties in total keep the given order. None with fewer than
    DISCRIMINATION_MINIMUM residents.
    """
    if len(scores) < DISCRIMINATION_MINIMUM:
        return dict.fromkeys(case_ids)
    ranked = sorted(scores, key=lambda resident: -sum(scores[resident].values()))
    size = max(1, round(GROUP_SHARE * len(ranked)))
    upper, lower = ranked[:size], ranked[-size:]

    def mean(group, case_id):
        return sum(scores[resident].get(case_id, 0) for resident in group) / size

    return {case_id: mean(upper, case_id) - mean(lower, case_id) for case_id in case_ids}


def answer_groups(attempts, vocabulary):
    """What residents answered instead of the diagnosis: [{label, count, matched, hedged, typed}].

    Every attempt not fully right (score below 1) counts in exactly one group. A chosen option is its
    entity; typed text is read as the grader reads it (quiz.grading): one that names a vocabulary entry
    joins that entry's group ('schwannomas' and 'neurinoma' under Schwannoma); a hedge ('X or Y', '?X')
    or a text naming nothing is grouped by its normalised words. Most common first.
    """
    entries = list(vocabulary)
    by_pk = {entry.pk: entry for entry in entries}
    named = {}  # normalised words → entry or None: the grader's reading depends on nothing else
    groups = {}
    for row in attempts:
        if row["score"] >= 1:
            continue
        text = (row["answer_text"] or "").strip()
        words = tuple(name_words(text))
        hedged = is_hedged(text)
        entry = by_pk.get(row["chosen_diagnosis_id"])
        if entry is None and words and not hedged:
            if words not in named:
                named[words] = entity_named(text, entries)
            entry = named[words]
        if entry is not None:
            key, label = ("entry", entry.pk), entry.name
        elif words:
            key, label = ("text", hedged, words), " ".join(words)
        else:
            key, label = ("empty",), _("No answer")
        group = groups.setdefault(
            key, {"label": label, "count": 0, "matched": entry is not None, "hedged": hedged, "typed": Counter()}
        )
        group["count"] += 1
        if text:
            group["typed"][text] += 1
    result = sorted(groups.values(), key=lambda g: (-g["count"], str(g["label"]).casefold()))
    for group in result:
        group["typed"] = [text for text, _count in group["typed"].most_common()]
    return result


def case_results(*, cases, finals, attempts, vocabulary):
    """[{case, position, final, answered, difficulty, discrimination, instead}] in the assignment's order.

    ``cases`` are (position, case) pairs; ``finals`` {case_id: final diagnosis name}. Difficulty is the
    share correct (mean score) among those who answered; discrimination uses every resident who answered
    at least one case.
    """
    by_case, scores = defaultdict(list), defaultdict(dict)
    for row in attempts:
        by_case[row["case_id"]].append(row)
        scores[row["user_id"]][row["case_id"]] = row["score"]
    index = discrimination(scores, [case.pk for _position, case in cases])
    entries = list(vocabulary)
    result = []
    for position, case in cases:
        rows = by_case.get(case.pk, [])
        result.append(
            {
                "case": case,
                "position": position,
                "final": finals.get(case.pk, ""),
                "answered": len(rows),
                "difficulty": sum(row["score"] for row in rows) / len(rows) if rows else None,
                "discrimination": index[case.pk],
                "instead": answer_groups(rows, entries),
            }
        )
    return result


def as_questions(attempts, cases_by_pk):
    """Attempt rows dressed as answered questions (question.case, question.attempt.score and .created_at),
    so the resident's Progress tallies (quiz.progress) serve the dashboard unchanged."""
    return [
        SimpleNamespace(
            case=cases_by_pk[row["case_id"]],
            case_id=row["case_id"],
            attempt=SimpleNamespace(score=row["score"], created_at=row["created_at"]),
        )
        for row in attempts
        if row["case_id"] in cases_by_pk
    ]


def facet_accuracy(attempts, cases_by_pk):
    """Accuracy by region, compartment, primary and difficulty (quiz.progress.accuracy_by_facet)."""
    return accuracy_by_facet(as_questions(attempts, cases_by_pk))


def accuracy_over_time(attempts, cases_by_pk):
    """[{day, answered, correct}] (quiz.progress.attempts_by_day)."""
    return attempts_by_day(as_questions(attempts, cases_by_pk))


def csv_rows(*, residents, cases, attempts):
    """One row per resident per case, residents then cases in order, blank where nothing was answered."""
    answers = {(row["user_id"], row["case_id"]): row for row in attempts}
    for resident in residents:
        for position, case in cases:
            row = answers.get((resident.pk, case.pk))
            yield [
                resident.get_username(),
                resident.get_full_name(),
                resident.email,
                position,
                case.title,
                row["answer_text"] if row else "",
                row["outcome"] if row else "",
                f"{row['score']:g}" if row else "",
                f"{row['time_taken'].total_seconds():.0f}" if row and row["time_taken"] is not None else "",
                row["created_at"].isoformat() if row else "",
            ]


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or carriage
    return) gains a leading apostrophe. Numbers we write ourselves are left alone."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
