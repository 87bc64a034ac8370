"""The case list's filters, and how many cases each filter value would show.

Every filter value is one database condition (``_conditions()``): the filter applies it and the
counts aggregate it, so the two can never disagree.
"""
import django_filters
from django.db import models
from django.db.models import Count, F, Max, Q, Sum, Value

from .anatomy import Compartment, Level, Modality, Region
from .models import (
    Case,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    at_level_condition,
    finding_condition,
    in_region_condition,
    span_at_level,
    span_in_region,
)

AGE_BANDS = {
    "under-40": ("Under 40", Q(age__lt=40)),
    "40-59": ("40–59", Q(age__gte=40, age__lte=59)),
    "60-79": ("60–79", Q(age__gte=60, age__lte=79)),
    "80-plus": ("80 and over", Q(age__gte=80)),
}
LEVELS_BY_LABEL = {level.label: level.value for level in Level}

SORTS = {
    "title": ("Title", ["title"]),
    "age": ("Youngest first", [F("age").asc(nulls_last=True), "title"]),
    "-age": ("Oldest first", [F("age").desc(nulls_last=True), "title"]),
    "difficulty": ("Easiest first", ["difficulty", "title"]),
    "-difficulty": ("Hardest first", ["-difficulty", "title"]),
    "recent": ("Recently published", [F("published_at").desc(nulls_last=True), "title"]),
}


def _conditions():
    """facet name → (label, {value: (option label, condition)})."""
    return {
        "region": ("Region", {r.value: (r.label, in_region_condition(r.value)) for r in Region}),
        "level": ("Level", {lvl.label: (lvl.label, at_level_condition(lvl.value)) for lvl in Level}),
        "compartment": ("Compartment", {
            c.value: (c.label, finding_condition(compartment=c.value)) for c in Compartment}),
        "modality": ("Modality", {m.value: (m.label, finding_condition(modality=m.value)) for m in Modality}),
        "primary": ("Known primary", {
            p.slug: (p.name, Q(known_primary=p)) for p in PrimaryTumour.objects.only("name", "slug")}),
        "sex": ("Sex", {s.value: (s.label, Q(sex=s.value)) for s in Case.Sex}),
        "age": ("Age", {key: (label, q) for key, (label, q) in AGE_BANDS.items()}),
        "difficulty": ("Difficulty", {str(d.value): (d.label, Q(difficulty=d.value)) for d in Case.Difficulty}),
    }


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="filter_search")
    region = django_filters.ChoiceFilter(choices=Region.choices, method="filter_region")
    level = django_filters.ChoiceFilter(choices=[(k, k) for k in LEVELS_BY_LABEL], method="filter_level")
    compartment = django_filters.ChoiceFilter(choices=Compartment.choices, method="filter_compartment")
    modality = django_filters.ChoiceFilter(choices=Modality.choices, method="filter_modality")
    primary = django_filters.ModelChoiceFilter(
        label="Known primary", field_name="known_primary", to_field_name="slug",
        queryset=PrimaryTumour.objects.all(),
    )
    sex = django_filters.ChoiceFilter(choices=Case.Sex.choices)
    age = django_filters.ChoiceFilter(
        choices=[(k, label) for k, (label, _) in AGE_BANDS.items()], method="filter_age")
    difficulty = django_filters.ChoiceFilter(choices=Case.Difficulty.choices)
    sort = django_filters.ChoiceFilter(
        label="Sort by", choices=[(k, label) for k, (label, _) in SORTS.items()], method="sort_cases",
        empty_label=None,
    )

    class Meta:
        model = Case
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.search(value[:200])

    def filter_region(self, queryset, name, value):
        return queryset.filter(in_region_condition(value))

    def filter_level(self, queryset, name, value):
        return queryset.filter(at_level_condition(LEVELS_BY_LABEL[value]))

    def filter_compartment(self, queryset, name, value):
        return queryset.filter(finding_condition(compartment=value))

    def filter_modality(self, queryset, name, value):
        return queryset.filter(finding_condition(modality=value))

    def filter_age(self, queryset, name, value):
        return queryset.filter(AGE_BANDS[value][1])

    def sort_cases(self, queryset, name, value):
        return queryset.order_by(*SORTS[value][1])


# Facets whose options test a case's child rows: each option's condition on one row. They are
# counted from the child table grouped by case (one pass over its rows), not with an EXISTS
# per case and option, which grows as cases × options (30 levels).
ROW_CONDITIONS = {
    "region": (LevelSpan, lambda value: span_in_region(value)),
    "level": (LevelSpan, lambda value: span_at_level(LEVELS_BY_LABEL[value])),
    "compartment": (ImagingFinding, lambda value: Q(compartment=value)),
    "modality": (ImagingFinding, lambda value: Q(modality=value)),
}


def _counts(name, base, options):
    """{n0: cases matching option 0, …}, in one aggregate query."""
    if not options:
        return {}
    if name not in ROW_CONDITIONS:
        return base.aggregate(**{
            f"n{i}": Count("pk", filter=condition) for i, (_, condition) in enumerate(options.values())
        })
    model, row_condition = ROW_CONDITIONS[name]
    # Per case: does any of its rows match the option (1/0)? Then sum over cases.
    per_case = model.objects.filter(case__in=base.values("pk")).order_by().values("case").annotate(**{
        f"has{i}": Max(models.Case(models.When(row_condition(value), then=Value(1)), default=Value(0)))
        for i, value in enumerate(options)
    })
    counts = per_case.aggregate(**{f"n{i}": Sum(f"has{i}") for i in range(len(options))})
    return {key: n or 0 for key, n in counts.items()}


def facets(*, data, queryset):
    """For each facet, its options with the number of cases each would show.

    Counts honour every other active filter but not the facet's own, so choosing a region
    still shows how many cases the other regions hold. One aggregate query per facet.
    """
    result = []
    for name, (label, options) in _conditions().items():
        others = data.copy()
        others.pop(name, None)
        others.pop("page", None)
        base = CaseFilter(others, queryset=queryset).qs.order_by()
        counts = _counts(name, base, options)
        chosen = data.get(name, "")
        result.append({
            "name": name,
            "label": label,
            "options": [
                {"value": value, "label": option_label, "count": counts[f"n{i}"], "selected": value == chosen}
                for i, (value, (option_label, _)) in enumerate(options.items())
            ],
        })
    return result
