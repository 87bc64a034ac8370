from django import template
from django.utils.safestring import mark_safe

from study.marks import MARKER

register = template.Library()


@register.simple_tag
def study_marker(case):
    """Where a signed-in resident's marks go on this card (filled per request by study.marks.fill_marks)."""
    return mark_safe(MARKER.format(int(case.pk)))
