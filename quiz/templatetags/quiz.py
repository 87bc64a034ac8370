from django import template

register = template.Library()


@register.filter
def minutes_seconds(duration):
    """A time taken as '2 min 05 s' (or '45 s')."""
    if duration is None:
        return "—"
    minutes, seconds = divmod(int(duration.total_seconds()), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


@register.filter
def percent(part, whole):
    return f"{round(100 * part / whole)}%" if whole else "—"
