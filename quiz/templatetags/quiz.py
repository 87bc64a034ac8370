from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from quiz.grading import PARTIAL_CREDIT, is_hedged

register = template.Library()


@register.filter
def minutes_seconds(duration):
    """A time taken as '2 min 05 s' (or '45 s')."""
    if duration is None:
        return "—"
    minutes, seconds = divmod(int(duration.total_seconds()), 60)
    if minutes:
        return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": seconds}
    return _("%(seconds)d s") % {"seconds": seconds}


@register.filter
def percent(part, whole):
    if not whole:
        return "—"
    # Translators: a percentage; French writes a narrow no-break space before the sign.
    return _("%(percent)s%%") % {"percent": round(100 * part / whole)}


@register.filter
def hedged(answer):
    """The answer offers several diagnoses or only guesses at one (quiz.grading.is_hedged)."""
    return is_hedged(answer)


@register.filter
def broader_count(questions):
    """How many of these answered questions named the right family (a broader term)."""
    return sum(q.answered() and q.attempt.outcome == "broader" for q in questions)


@register.simple_tag
def partial_credit():
    """What a broader term earns, as the score prints it: '0.5'."""
    return number_format(f"{PARTIAL_CREDIT:g}")
