""" "Seen" and "answered" marks on the case list's cards.

The list's HTML is cached for everyone, so each card carries a marker (an HTML comment naming the
case) and a signed-in resident's marks are filled in per request from one query over the page's
cases. An anonymous visitor's page is served as cached: no query, the markers stay invisible.
"""

import re

from django.db.models import Exists, OuterRef, Q
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from cases.models import Case
from quiz.models import Attempt

from .models import CaseVisit

MARKER = "<!--study-marks:{}-->"
MARKERS = re.compile(r"<!--study-marks:(\d+)-->")


def marks_of(user, case_ids):
    """{case id: (seen, answered)} for the cases this user has opened or answered: one query."""
    rows = (
        Case.objects.filter(pk__in=case_ids)
        .annotate(
            seen=Exists(CaseVisit.objects.filter(user=user, case=OuterRef("pk"))),
            answered=Exists(Attempt.objects.filter(question__run__user=user, question__case=OuterRef("pk"))),
        )
        .filter(Q(seen=True) | Q(answered=True))
        .values_list("pk", "seen", "answered")
    )
    return {pk: (seen, answered) for pk, seen, answered in rows}


def marks_html(seen, answered):
    """The marks as text with an icon (the icon is decoration: the words carry the meaning)."""
    shown = [
        (mark, icon, text)
        for on, mark, icon, text in (
            (seen, "seen", "◉", _("Seen")),
            (answered, "answered", "✓", _("Answered")),
        )
        if on
    ]
    if not shown:
        return ""
    return format_html(
        '<p class="card__marks">{}</p>',
        format_html_join(
            " ",
            '<span class="mark mark--{}"><span class="mark__icon" aria-hidden="true">{}</span> {}</span>',
            shown,
        ),
    )


def fill_marks(html, user):
    """The cached list's HTML with this visitor's marks in place of the markers."""
    if not user.is_authenticated:
        return html
    case_ids = {int(pk) for pk in MARKERS.findall(html)}
    if not case_ids:
        return html
    marks = marks_of(user, case_ids)
    # Safe: the cached HTML was, and each mark is built by format_html.
    return mark_safe(MARKERS.sub(lambda m: marks_html(*marks.get(int(m.group(1)), (False, False))), html))
