"""What an assignment's answers add up to, for the faculty who set it.

Pure functions over rows the page has already summed and grouped in SQL (values() dicts, one per
resident, per case, or per distinct answer; a row per answer only for the CSV), so a page's cost
barely grows with the cohort and each rule is tested on its own.
"""

from collections import Counter, defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.text import name_words
from quiz.grading import entity_named, is_hedged
from quiz.progress import accuracy_of_cases

# The share of residents in each of the upper and lower groups of the discrimination index.
GROUP_SHARE = 0.27
# Fewer residents than this and the two groups are one or two people: no index is shown.
DISCRIMINATION_MINIMUM = 4

# What residents answered instead: the most common groups shown per case, the rest summed in one line.
GROUPS_SHOWN = 10

NOT_STARTED, IN_PROGRESS, FINISHED = "not_started", "in_progress", "finished"


def status_of(run):
    """not started (no run), in progress, or finished, from the resident's run row (or None)."""
    if run is None:
        return NOT_STARTED
    return FINISHED if run["finished_at"] is not None else IN_PROGRESS


def resident_results(*, residents, runs, sums, case_count):
    """[{resident, status, answered, total, score, time}] in the residents' order.

    ``sums`` is {user_id: {answered, total, time}} over the resident's answers (summed in SQL).
    ``score`` is the total over the number of cases (unanswered cases count 0), None with no case.
    """
    run_of = {run["user_id"]: run for run in runs}
    empty = {"answered": 0, "total": 0, "time": None}
    rows = []
    for resident in residents:
        mine = sums.get(resident.pk, empty)
        rows.append(
            {
                "resident": resident,
                "status": status_of(run_of.get(resident.pk)),
                "answered": mine["answered"],
                "total": mine["total"] or 0,
                "score": (mine["total"] or 0) / case_count if case_count else None,
                "time": mine["time"],
            }
        )
    return rows


def accuracy_by_day_started(*, runs, sums):
    """[{day, answered, correct}] by the day (site time zone) each resident started, oldest first."""
    days = defaultdict(lambda: [0, 0])
    for run in runs:
        mine = sums.get(run["user_id"])
        if mine and mine["answered"]:
            tally = days[timezone.localdate(run["created_at"])]
            tally[0] += mine["answered"]
            tally[1] += mine["total"] or 0
    return [{"day": day, "answered": a, "correct": c} for day, (a, c) in sorted(days.items())]


def discrimination_groups(totals):
    """(upper, lower): the top and bottom 27% (at least one each) of residents ranked by total score.

    ``totals`` are (resident, total) pairs of the residents who answered; ties keep the given order.
    None with fewer than DISCRIMINATION_MINIMUM residents: two groups of one or two say nothing.
    """
    if len(totals) < DISCRIMINATION_MINIMUM:
        return None
    ranked = [resident for resident, _total in sorted(totals, key=lambda pair: -pair[1])]
    size = max(1, round(GROUP_SHARE * len(ranked)))
    return ranked[:size], ranked[-size:]


def discrimination_index(upper_total, lower_total, size):
    """The upper-lower index of a case: the groups' mean scores on it, upper minus lower."""
    return (upper_total or 0) / size - (lower_total or 0) / size


def discrimination(scores, case_ids):
    """{case_id: upper-lower index or None} from {resident: {case_id: score}} (unanswered counts 0).

    The pages sum the groups' scores in SQL; this is the same rule over plain rows.
    """
    groups = discrimination_groups([(resident, sum(by_case.values())) for resident, by_case in scores.items()])
    if groups is None:
        return dict.fromkeys(case_ids)
    upper, lower = groups
    return {
        case_id: discrimination_index(
            sum(scores[r].get(case_id, 0) for r in upper), sum(scores[r].get(case_id, 0) for r in lower), len(upper)
        )
        for case_id in case_ids
    }


class VocabularyEntry:
    """A vocabulary entry as the grader reads it, its names read once (a Diagnosis reads its translated
    columns on every names() call, and the grader calls it for every entry for every answer)."""

    __slots__ = ("pk", "name", "broader_id", "_names")

    def __init__(self, entry):
        self.pk, self.name, self.broader_id = entry.pk, str(entry.name), entry.broader_id
        self._names = list(entry.names())

    def names(self):
        return self._names


def reading_of(vocabulary):
    """The vocabulary ready for answer_groups: entries with their names, and memos of the texts read."""
    return {"entries": [VocabularyEntry(entry) for entry in vocabulary], "named": {}, "read": {}}


def _read(text, entries, named):
    """(normalised words, hedged, entry named or None) for a typed answer, as the grader reads it."""
    words = tuple(name_words(text))
    hedged = is_hedged(text)
    if not words or hedged:
        return words, hedged, None
    if words not in named:  # the grader's reading depends on the normalised words alone
        named[words] = entity_named(text, entries)
    return words, hedged, named[words]


def answer_groups(attempts, vocabulary):
    """What residents answered instead of the diagnosis: [{label, count, matched, hedged, typed}].

    ``attempts`` are attempt rows, or rows of identical answers with their ``count``; ``vocabulary`` the
    entries (or reading_of them, shared between cases). Every attempt not fully right (score below 1)
    counts in exactly one group. A chosen option is its
    entity; typed text is read as the grader reads it (quiz.grading): one that names a vocabulary entry
    joins that entry's group ('schwannomas' and 'neurinoma' under Schwannoma); a hedge ('X or Y', '?X')
    or a text naming nothing is grouped by its normalised words. Most common first.
    """
    reading = vocabulary if isinstance(vocabulary, dict) else reading_of(vocabulary)
    entries, read = reading["entries"], reading["read"]
    by_pk = {entry.pk: entry for entry in entries}
    groups = {}
    for row in attempts:
        if row["score"] >= 1:
            continue
        text = (row["answer_text"] or "").strip()
        if text not in read:
            read[text] = _read(text, entries, reading["named"])
        words, hedged, entry = read[text]
        entry = by_pk.get(row["chosen_diagnosis_id"]) or entry
        if entry is not None:
            key, label = ("entry", entry.pk), entry.name
        elif words:
            key, label = ("text", hedged, words), " ".join(words)
        else:
            key, label = ("empty",), _("No answer")
        group = groups.setdefault(
            key, {"label": label, "count": 0, "matched": entry is not None, "hedged": hedged, "typed": Counter()}
        )
        count = row.get("count", 1)
        group["count"] += count
        if text:
            group["typed"][text] += count
    result = sorted(groups.values(), key=lambda g: (-g["count"], str(g["label"]).casefold()))
    for group in result:
        group["typed"] = [text for text, _count in group["typed"].most_common()]
    return result


def case_results(*, cases, finals, sums, group_size, answers, vocabulary):
    """[{case, position, final, answered, difficulty, discrimination, instead, other_groups, other_answers}]
    in the assignment's order: ``instead`` the GROUPS_SHOWN most common answer groups, the others counted.

    ``cases`` are (position, case) pairs; ``finals`` {case_id: final diagnosis name}; ``sums``
    {case_id: {answered, total, upper, lower}} (the scores of discrimination_groups' residents summed);
    ``group_size`` the size of each group, None for no index; ``answers`` the attempt rows not right
    (or rows of identical answers with a ``count``). Difficulty is the share correct (mean score).
    """
    answers_by_case = defaultdict(list)
    for row in answers:
        answers_by_case[row["case_id"]].append(row)
    reading = reading_of(vocabulary)
    result = []
    for position, case in cases:
        tally = sums.get(case.pk, {"answered": 0, "total": 0, "upper": 0, "lower": 0})
        groups = answer_groups(answers_by_case.get(case.pk, []), reading)
        result.append(
            {
                "case": case,
                "position": position,
                "final": finals.get(case.pk, ""),
                "answered": tally["answered"],
                "difficulty": tally["total"] / tally["answered"] if tally["answered"] else None,
                "discrimination": (
                    discrimination_index(tally["upper"], tally["lower"], group_size) if group_size else None
                ),
                "instead": groups[:GROUPS_SHOWN],
                "other_groups": len(groups[GROUPS_SHOWN:]),
                "other_answers": sum(group["count"] for group in groups[GROUPS_SHOWN:]),
            }
        )
    return result


def facet_accuracy(sums, cases_by_pk):
    """Accuracy by region, compartment, primary and difficulty (quiz.progress.accuracy_of_cases) from
    ``sums``, {case_id: {answered, total}} tallied per case in SQL."""
    return accuracy_of_cases(
        (cases_by_pk[pk], tally["answered"], tally["total"]) for pk, tally in sums.items() if pk in cases_by_pk
    )


def csv_rows(*, residents, cases, attempts):
    """One row per resident per case, residents then cases in order, blank where nothing was answered.

    Text that residents or editors wrote (names, e-mail, titles, answers) is made spreadsheet_safe.
    """
    answers = {(row["user_id"], row["case_id"]): row for row in attempts}
    titles = [(case.pk, position, spreadsheet_safe(case.title)) for position, case in cases]
    for resident in residents:
        person = [spreadsheet_safe(v) for v in (resident.get_username(), resident.get_full_name(), resident.email)]
        for case_id, position, title in titles:
            row = answers.get((resident.pk, case_id))
            if row is None:
                yield [*person, position, title, "", "", "", "", ""]
                continue
            yield [
                *person,
                position,
                title,
                spreadsheet_safe(row["answer_text"]),
                row["outcome"],
                f"{row['score']:g}",
                f"{row['time_taken'].total_seconds():.0f}" if row["time_taken"] is not None else "",
                row["created_at"].isoformat(),
            ]


def spreadsheet_safe(value):
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or carriage
    return) gains a leading apostrophe. Numbers we write ourselves are left alone."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
