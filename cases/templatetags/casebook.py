import functools

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.utils import get_language as active_content_language

from cases.anatomy import REGION_BOUNDS, Level, Region, region_of
from cases.models import CONTENT_LANGUAGES

register = template.Library()

# Drawn heights (in SVG units) of one vertebra in each region, head to tail.
_HEIGHT = {Region.CERVICAL: 7, Region.THORACIC: 8, Region.LUMBAR: 10, Region.SACRAL: 6, Region.COCCYGEAL: 5}
_WIDTH = {Region.CERVICAL: 14, Region.THORACIC: 16, Region.LUMBAR: 20, Region.SACRAL: 16, Region.COCCYGEAL: 8}
_GAP = 1.5
_CENTRE = 30


def _layout():
    y, rows = 2.0, []
    for level in Level:
        region = region_of(level.value)
        height, width = _HEIGHT[region], _WIDTH[region]
        rows.append(
            {"level": level, "region": region, "x": _CENTRE - width / 2, "y": y, "width": width, "height": height}
        )
        y += height + _GAP
    return rows, y + 2


_ROWS, _TOTAL_HEIGHT = _layout()
_REGION_LABELS = [
    {"letter": Level(REGION_BOUNDS[region][0]).label[0], "y": next(r["y"] for r in _ROWS if r["region"] == region) + 6}
    for region in (Region.CERVICAL, Region.THORACIC, Region.LUMBAR, Region.SACRAL)
]


# The drawing is the same for every case but for each vertebra's class: its markup is made once per
# language (a level's name may be translated), in the three states a vertebra can be in. A card list
# draws 20 spines of 30 vertebrae, which as a template loop cost more than the rest of the list page.
_VERTEBRA = (
    '<rect class="spine__vertebra{state}" x="{x:.1f}" y="{y:.1f}" width="{width}" height="{height}" rx="1.5">'
    "<title>{label}</title></rect>"
)
_STATES = ("", " is-involved", " is-region")
_LABELS = "".join(
    f'<text class="spine__region" x="2" y="{label["y"]:.1f}">{label["letter"]}</text>' for label in _REGION_LABELS
)


@functools.cache
def _vertebrae(language):
    """[(level, region, {state: the vertebra's markup})], head to tail, in this language."""
    return [
        (
            row["level"].value,
            row["region"],
            {state: _VERTEBRA.format(state=state, label=escape(row["level"].label), **row) for state in _STATES},
        )
        for row in _ROWS
    ]


@register.simple_tag
def spine_diagram(case, size="small"):
    """The spine drawn by the server, marking the case's involved levels (presentation side only)."""
    involved = case.involved_levels()
    unstated = case.unlevelled_regions()
    description = _("Spine diagram, levels involved: %(levels)s") % {
        "levels": case.levels_label() or _("levels not stated")
    }
    drawing = "".join(
        markup[" is-involved" if level in involved else " is-region" if region in unstated else ""]
        for level, region, markup in _vertebrae(get_language())
    )
    return format_html(
        '<svg class="spine spine--{}" viewBox="0 0 48 {}" role="img" aria-label="{}" focusable="false">'
        "<title>{}</title>{}{}</svg>",
        size,
        int(_TOTAL_HEIGHT + 0.5),
        description,
        description,
        mark_safe(_LABELS),  # noqa: S308 - made above from constants
        mark_safe(drawing),  # noqa: S308 - made above from constants, the labels escaped
    )


@register.simple_tag
def shown_in(obj, field):
    """The language a translated field is shown in when the page's own language has no text for it
    (it falls back to the other language), else "". Pages mark such text with `lang` and a note."""
    language = active_content_language()
    if getattr(obj, f"{field}_{language}", None):
        return ""
    others = (other for other in CONTENT_LANGUAGES if other != language)
    return next((other for other in others if getattr(obj, f"{field}_{other}", None)), "")
