"""The case list's filters, and how many cases each filter value would show.

Each facet tests one column of Case (all of them in the case_facets index): a bit of a mask
(region, level, compartment, modality), a value (primary, sex, difficulty) or a range (age).
The same test becomes the filter's condition on the page of cases (``Facet.q``) and a condition
in the queries that count every option (``facets``), so the two agree (a property test
in tests/test_case_list.py holds this).
"""

import django_filters
from django.db import connections
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .anatomy import COMPARTMENT_BITS, MODALITY_BITS, REGION_BITS, Compartment, Level, Modality, Region, level_bit
from .models import SORT_KEYS, Case, FacetTotal, PrimaryTumour, shown_title

LEVELS_BY_LABEL = {level.label: level.value for level in Level}
AGE_BANDS = {
    "under-40": (_("Under 40"), (None, 39)),
    "40-59": ("40–59", (40, 59)),
    "60-79": ("60–79", (60, 79)),
    "80-plus": (_("80 and over"), (80, None)),
}

# Each order ends with the title (the one the list shows: see list_order), then the pk, so that pages
# are stable on every database.
SORTS = {
    "title": (_("Title"), ["title", "pk"]),
    "age": (_("Youngest first"), [SORT_KEYS["age"].asc(), "title", "pk"]),
    "-age": (_("Oldest first"), [SORT_KEYS["-age"].desc(), "title", "pk"]),
    "difficulty": (_("Easiest first"), ["difficulty", "title", "pk"]),
    "-difficulty": (_("Hardest first"), ["-difficulty", "title", "pk"]),
    "recent": (_("Recently published"), [SORT_KEYS["recent"].desc(), "title", "pk"]),
}


def list_order(sort=""):
    """The ORDER BY of a sort ("" for the default), in the active language: the title is the one shown."""
    title = shown_title()
    return [title if item == "title" else item for item in SORTS[sort or "title"][1]]


NOT_STATED = _("Not stated")


class Facet:
    """A filter of the list: options {value: (label, test)} on one column of Case.

    The one declaration of a facet: the list's filter field, its counts, the admin's list filter,
    the quiz start form and the progress breakdown are all made from it.
    """

    def __init__(self, name, label, field, options, *, not_stated=NOT_STATED):
        self.name, self.label, self.options = name, label, options
        self.field = field
        self.column = Case._meta.get_field(field).column
        self.not_stated = not_stated  # how the progress breakdown names a case with no value

    def choices(self):
        return [(value, label) for value, (label, _) in self.options.items()]

    def filter(self):
        """The case list's filter field for this facet."""
        return django_filters.ChoiceFilter(label=self.label, choices=self.choices(), method="filter_facet")

    def labels_of(self, case):
        """The labels of the options this case has (from its stored column), or [not stated]."""
        stored = getattr(case, self.column)
        stored = None if stored in (None, "") else str(stored)
        labels = [str(label) for label, test in self.options.values() if self.matches(test, stored)]
        return labels or [str(self.not_stated)]

    def q(self, value):
        """The condition for the page of cases."""
        raise NotImplementedError

    def sql(self, value, quote):
        """The same condition as SQL on a row with this column: (sql, params)."""
        raise NotImplementedError

    def matches(self, test, stored):
        """Does a stored column value (as text, or None) pass an option's test?"""
        raise NotImplementedError


class BitFacet(Facet):
    def matches(self, test, stored):
        return bool(int(stored or 0) & test)

    def q(self, value):
        return Q(**{f"{self.field}__has_any": self.options[value][1]})

    def sql(self, value, quote):
        return f"({quote(self.column)} & %s) <> 0", [self.options[value][1]]


class ValueFacet(Facet):
    def q(self, value):
        return Q(**{self.column: self.options[value][1]})

    def sql(self, value, quote):
        return f"{quote(self.column)} = %s", [self.options[value][1]]

    def matches(self, test, stored):
        return stored == str(test)


class RangeFacet(Facet):
    """Options are inclusive (low, high) ranges; None leaves that end open."""

    def q(self, value):
        low, high = self.options[value][1]
        return Q(**{f"{self.field}__gte": low} if low is not None else {}) & Q(
            **{f"{self.field}__lte": high} if high is not None else {}
        )

    def sql(self, value, quote):
        low, high = self.options[value][1]
        parts, params = [f"{quote(self.column)} IS NOT NULL"], []
        for bound, operator in ((low, ">="), (high, "<=")):
            if bound is not None:
                parts.append(f"{quote(self.column)} {operator} %s")
                params.append(bound)
        return " AND ".join(parts), params

    def matches(self, test, stored):
        low, high = test
        return stored is not None and (low is None or int(stored) >= low) and (high is None or int(stored) <= high)


def _facets(primaries):
    return {
        facet.name: facet
        for facet in (
            BitFacet("region", _("Region"), "region_mask", {r.value: (r.label, REGION_BITS[r.value]) for r in Region}),
            BitFacet(
                "level", _("Level"), "level_mask", {lvl.label: (lvl.label, level_bit(lvl.value)) for lvl in Level}
            ),
            BitFacet(
                "compartment",
                _("Compartment"),
                "compartment_mask",
                {c.value: (c.label, COMPARTMENT_BITS[c.value]) for c in Compartment},
            ),
            BitFacet(
                "modality",
                _("Modality"),
                "modality_mask",
                {m.value: (m.label, MODALITY_BITS[m.value]) for m in Modality},
            ),
            ValueFacet(
                "primary",
                _("Known primary"),
                "known_primary",
                {p.slug: (p.name, p.pk) for p in primaries},
                not_stated=_("None known"),
            ),
            ValueFacet("sex", _("Sex"), "sex", {s.value: (s.label, s.value) for s in Case.Sex}),
            RangeFacet("age", _("Age"), "age", dict(AGE_BANDS)),
            ValueFacet(
                "difficulty", _("Difficulty"), "difficulty", {str(d.value): (d.label, d.value) for d in Case.Difficulty}
            ),
        )
    }


# The facets whose options are fixed (all but the primary tumours, which editors add to).
FIXED_FACETS = {name: facet for name, facet in _facets([]).items() if name != "primary"}
# What a resident's results and progress are broken down by.
BREAKDOWN = ("region", "compartment", "primary", "difficulty")


def breakdown_facets(cases):
    """The facets results and progress are broken down by, with the primaries of these cases."""
    primaries = {case.known_primary_id: case.known_primary for case in cases if case.known_primary_id}
    facets = _facets(primaries.values())
    return [facets[name] for name in BREAKDOWN]


def primaries_of(cases):
    """The primary tumours of these cases: only those of cases the visitor may see (a draft's would announce it)."""
    return PrimaryTumour.objects.filter(Exists(cases.filter(known_primary=OuterRef("pk"))))


def read_query(query, *, primaries):
    """(chosen facets, search, sort, names not understood) from a query string, as CaseFilter reads it.

    Without building the FilterSet, which a cached page does not need: the case list keys its cache
    on this. `primaries` are the slugs the primary filter accepts. A test holds it to CaseFilter.
    """
    chosen, not_understood = {}, []
    for name, facet in FIXED_FACETS.items():
        value = query.get(name, "")
        if value in facet.options:
            chosen[name] = value
        elif value:
            not_understood.append(name)
    primary = query.get("primary", "")
    if primary in primaries:
        chosen["primary"] = primary
    elif primary:
        not_understood.append("primary")
    sort = query.get("sort", "")
    if sort and sort not in SORTS:
        not_understood.append("sort")
        sort = ""
    search = query.get("q", "").strip()
    if "\x00" in search:  # a form field refuses null characters
        not_understood.append("q")
        search = ""
    return chosen, search, sort, sorted(not_understood)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    region = FIXED_FACETS["region"].filter()
    level = FIXED_FACETS["level"].filter()
    compartment = FIXED_FACETS["compartment"].filter()
    modality = FIXED_FACETS["modality"].filter()
    # Editors add primaries: the options are the rows themselves (limited per visitor in __init__).
    primary = django_filters.ModelChoiceFilter(
        label=_("Known primary"),
        field_name="known_primary",
        to_field_name="slug",
        queryset=PrimaryTumour.objects.all(),
    )
    sex = FIXED_FACETS["sex"].filter()
    age = FIXED_FACETS["age"].filter()
    difficulty = FIXED_FACETS["difficulty"].filter()
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=[(k, label) for k, (label, _) in SORTS.items()],
        method="sort_cases",
        empty_label=None,
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, data=None, queryset=None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        self.filters["primary"].queryset = primaries_of(self.queryset)

    def filter_search(self, queryset, name, value):
        return queryset.search(value[:200])

    def filter_facet(self, queryset, name, value):
        return queryset.filter(FIXED_FACETS[name].q(str(value)))

    def sort_cases(self, queryset, name, value):
        return queryset.order_by(*list_order(value))

    def chosen(self):
        """{facet name: option value} for each valid facet choice in the query string."""
        self.form.is_valid()
        chosen = {}
        for name, value in self.form.cleaned_data.items():
            if name in FIXED_FACETS and value not in (None, ""):
                chosen[name] = str(value)
            elif name == "primary" and value is not None:
                chosen[name] = value.slug
        return chosen


def facets(filterset, *, queryset, primaries):
    """(cases shown, [facet with its options and the number of cases each would show]).

    `primaries`: the primary tumours the visitor may filter on (primaries_of the visible cases).

    A facet's counts honour every other chosen filter but not its own, so choosing a region still
    shows how many cases the other regions hold. All of them come from one pass over the cases that
    match the search and all but at most one of the chosen filters: a conditional count per option
    (of a facet not chosen: among the cases passing every chosen filter; of a chosen facet: among
    those passing the others), and the total. The pass reads only the rows it counts.
    """
    chosen = filterset.chosen()
    search = filterset.form.cleaned_data.get("q")
    hits = (filterset.filter_search(queryset, "q", search) if search else queryset).order_by()
    all_ = _facets(primaries)

    connection = connections[queryset.db]
    quote = connection.ops.quote_name
    conditions = {name: all_[name].sql(value, quote) for name, value in chosen.items()}
    # Untranslated columns, selected in this order (the translation layer's values_list would not keep it).
    columns = hits.rewrite(False).values_list(*[facet.field for facet in all_.values()])
    hits_sql, hits_params = columns.query.sql_with_params()
    names = ", ".join(quote(facet.column) for facet in all_.values())

    def passing(skip=None):
        """(SQL, params): every chosen filter but `skip` holds."""
        where = [conditions[name] for name in conditions if name != skip]
        return " AND ".join(f"({sql})" for sql, _ in where) or "1 = 1", [p for _, params in where for p in params]

    selected, params = [], []
    for name, facet in all_.items():
        others_sql, others_params = passing(skip=name)  # a facet's own choice does not narrow its counts
        for value in facet.options:
            sql, option_params = facet.sql(value, quote)
            selected.append(f"COUNT(*) FILTER (WHERE ({others_sql}) AND {sql})")
            params.extend([*others_params, *option_params])
    every_sql, every_params = passing()
    selected.append(f"COUNT(*) FILTER (WHERE {every_sql})")
    params.extend(every_params)
    # The rows that pass all chosen filters, or all but one: no other row is counted anywhere.
    if len(conditions) > 1:
        alternatives = [passing(skip=name) for name in conditions]
        where_sql = " OR ".join(f"({sql})" for sql, _ in alternatives)
        params.extend(p for _, alternative_params in alternatives for p in alternative_params)
    else:
        where_sql = "1 = 1"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH hits ({names}) AS ({hits_sql}) SELECT {', '.join(selected)} FROM hits WHERE {where_sql}",
            [*hits_params, *params],
        )
        found = iter(cursor.fetchone())
    counts = {facet: [next(found) for _ in facet.options] for facet in all_.values()}
    return next(found), _with_labels(all_, counts, chosen)


def published_totals(primaries):
    """facets() for the list of published cases with no filter and no search: from FacetTotal.

    A few hundred rows that triggers keep (one per bit of a mask, per primary, sex, age and
    difficulty), whatever the number of cases, instead of a pass over every case.
    """
    totals = {}
    for column, key, n in FacetTotal.objects.values_list("column", "key", "n"):
        totals.setdefault(column, []).append((key, n))
    all_ = _facets(primaries)
    counts = {
        facet: [
            sum(n for key, n in totals.get(facet.column, ()) if key != "" and facet.matches(test, key))
            for _label, test in facet.options.values()
        ]
        for facet in all_.values()
    }
    return sum(n for _key, n in totals.get("*", ())), _with_labels(all_, counts, chosen={})


def _with_labels(all_, counts, chosen):
    """[{name, label, options: [{value, label, count, selected}]}] for each facet."""
    # Labels as plain text in the page's language (the cache key names it): a lazy translation, once
    # pickled into the cache, costs far more to unpickle on every request than the text itself.
    result = []
    for facet in all_.values():
        options = [
            {"value": str(value), "label": str(label), "count": n, "selected": chosen.get(facet.name) == value}
            for (value, (label, _)), n in zip(facet.options.items(), counts[facet], strict=True)
        ]
        result.append({"name": facet.name, "label": str(facet.label), "options": options})
    return result
