from django import template
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


@register.inclusion_tag("includes/spine_diagram.html")
def spine_diagram(case, size="small"):
    """The spine drawn by the server, marking the case's involved levels (presentation side only)."""
    involved = case.involved_levels()
    unstated = case.unlevelled_regions()
    vertebrae = [
        {**row, "involved": row["level"].value in involved, "region_only": row["region"] in unstated} for row in _ROWS
    ]
    description = case.levels_label() or _("levels not stated")
    return {
        "vertebrae": vertebrae,
        "region_labels": _REGION_LABELS,
        "height": _TOTAL_HEIGHT,
        "size": size,
        "description": _("Spine diagram, levels involved: %(levels)s") % {"levels": description},
    }


@register.simple_tag
def shown_in(obj, field):
    """The language a translated field is shown in when the page's own language has no text for it
    (it falls back to the other language), else "". Pages mark such text with `lang` and a note."""
    language = active_content_language()
    if getattr(obj, f"{field}_{language}", None):
        return ""
    others = (other for other in CONTENT_LANGUAGES if other != language)
    return next((other for other in others if getattr(obj, f"{field}_{other}", None)), "")
