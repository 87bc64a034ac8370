"""Charts drawn on the server as inline SVG: geometry here, markup in templates/includes/*_chart.html.

No script and no style attribute (the site's CSP forbids both): shapes carry classes that
static/css/casebook.css colours from the theme's variables, so they follow light and dark mode.
Every chart comes with its numbers as a table for screen readers and anyone who would rather read.
"""

from django.utils import formats
from django.utils.translation import gettext as _

from cases.filters import FIXED_FACETS

# Horizontal bars: a label column, then the bar (100 % = BAR_WIDTH), then the figure.
LABEL_WIDTH, BAR_WIDTH, FIGURE_WIDTH = 160, 240, 60
ROW_HEIGHT, BAR_HEIGHT, TOP = 32, 22, 8
# Accuracy over time: a plot PLOT_WIDTH × PLOT_HEIGHT inside margins for the axis labels.
PLOT_LEFT, PLOT_WIDTH, PLOT_TOP, PLOT_HEIGHT, PLOT_BOTTOM = 52, 360, 12, 150, 30
# The facets drawn as charts, in this order (the primary stays a table: its labels are long and many).
CHARTED = ("compartment", "region", "difficulty")


def percent_of(part, whole):
    return round(100 * part / whole) if whole else None


def percent_text(percent):
    # Translators: a percentage; French writes a narrow no-break space before the sign.
    return _("%(percent)s%%") % {"percent": percent}


def bar_chart(title, rows):
    """A horizontal bar chart of accuracy, 0–100 %: rows are [{value, answered, correct}]."""
    bars = []
    for n, row in enumerate(rows):
        percent = percent_of(row["correct"], row["answered"]) or 0
        y = TOP + n * ROW_HEIGHT
        bars.append(
            {
                "label": str(row["value"]),
                "answered": row["answered"],
                "correct": formats.number_format(f"{row['correct']:g}"),
                "percent": percent,
                "percent_text": percent_text(percent),
                "y": y,
                "text_y": y + BAR_HEIGHT - 6,
                "width": round(BAR_WIDTH * percent / 100, 1),
            }
        )
    height = TOP * 2 + len(rows) * ROW_HEIGHT
    return {
        "title": title,
        "bars": bars,
        "width": LABEL_WIDTH + BAR_WIDTH + FIGURE_WIDTH,
        "height": height,
        "label_x": LABEL_WIDTH - 8,
        "bar_x": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "bar_width": BAR_WIDTH,
        "figure_x": LABEL_WIDTH + BAR_WIDTH + 6,
        "axis_x": LABEL_WIDTH + BAR_WIDTH,
        "axis_bottom": height - TOP,
        "description": _("%(title)s: %(bars)s.")
        % {
            "title": title,
            "bars": "; ".join(f"{bar['label']} {bar['percent_text']}" for bar in bars),
        },
    }


def facet_charts(breakdown):
    """Bar charts of accuracy by compartment, region and difficulty from quiz.progress.accuracy_by_facet."""
    by_label = {str(facet["label"]): facet["rows"] for facet in breakdown}
    charts = []
    for name in CHARTED:
        label = str(FIXED_FACETS[name].label)
        if by_label.get(label):
            charts.append(bar_chart(_("Accuracy by %(facet)s") % {"facet": label.lower()}, by_label[label]))
    return charts


def _levels():
    return [(level, round(PLOT_TOP + PLOT_HEIGHT * (1 - level / 100), 1)) for level in (0, 50, 100)]


def timeline_chart(by_day):
    """Accuracy per day as a line (points evenly spaced, one per day answered) from attempts_by_day."""
    if not by_day:
        return None
    step = PLOT_WIDTH / (len(by_day) - 1) if len(by_day) > 1 else 0
    points = []
    for n, day in enumerate(by_day):
        percent = percent_of(day["correct"], day["answered"]) or 0
        points.append(
            {
                "x": round(PLOT_LEFT + (n * step if step else PLOT_WIDTH / 2), 1),
                "y": round(PLOT_TOP + PLOT_HEIGHT * (1 - percent / 100), 1),
                "percent": percent,
                "percent_text": percent_text(percent),
                "day": day["day"],
                "answered": day["answered"],
                "correct": formats.number_format(f"{day['correct']:g}"),
            }
        )
    bottom = PLOT_TOP + PLOT_HEIGHT
    title = _("Accuracy over time")
    date_format = _("j M")
    return {
        "title": title,
        "points": points,
        "line": " ".join(f"{p['x']},{p['y']}" for p in points),
        "width": PLOT_LEFT + PLOT_WIDTH + 24,
        "height": bottom + PLOT_BOTTOM,
        "left": PLOT_LEFT,
        "right": PLOT_LEFT + PLOT_WIDTH,
        "grid": [{"y": y, "text_y": y + 4, "label": percent_text(level)} for level, y in _levels()],
        "bottom": bottom,
        "date_y": bottom + 20,
        "first": formats.date_format(points[0]["day"], date_format),
        "last": formats.date_format(points[-1]["day"], date_format) if len(points) > 1 else "",
        "first_x": points[0]["x"],
        "last_x": points[-1]["x"],
        "label_x": PLOT_LEFT - 6,
        "description": _("%(title)s: %(days)s.")
        % {
            "title": title,
            "days": "; ".join(f"{formats.date_format(p['day'], date_format)} {p['percent_text']}" for p in points),
        },
    }
