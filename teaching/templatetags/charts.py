from django import template

from teaching.charts import facet_charts, timeline_chart

register = template.Library()


@register.inclusion_tag("includes/accuracy_charts.html")
def accuracy_charts(breakdown, by_day):
    """Accuracy by compartment, region and difficulty, and over time, drawn from the Progress tallies
    (quiz.progress.accuracy_by_facet and attempts_by_day)."""
    return {"bar_charts": facet_charts(breakdown), "timeline": timeline_chart(by_day)}
