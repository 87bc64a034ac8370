"""Previous and next case within the case list's filters and sort, found by keyset.

The case list's validated query travels on the card links as ?list=…; here it is read the same
way (cases.filters.read_query) and the neighbours are the published cases just before and after
this one in the list's order. Each is one indexed "seek" (WHERE (title, pk) > (…) ORDER BY title,
pk LIMIT 1 for the default sort), so the cost does not grow with the library.
"""

from django.core.exceptions import SuspiciousOperation
from django.db.models import F, OrderBy, Q
from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import get_language

from cases.caching import cached, digest
from cases.filters import FIXED_FACETS, list_order, read_query
from cases.models import Case
from cases.templatetags.casebook import shown_in


def list_query(raw):
    """The validated list query carried in ?list= (a query string), re-encoded: "" when nothing valid."""
    try:
        query = QueryDict(raw or "")
    except SuspiciousOperation:  # too many fields: ignored like any other junk
        return ""
    primary = query.get("primary", "")
    # Any primary slug is taken as given: an unknown one simply matches no case.
    chosen, search, sort, _ = read_query(query, primaries={primary} if primary else set())
    params = {**chosen, **({"q": search[:200]} if search else {}), **({"sort": sort} if sort else {})}
    return urlencode(sorted(params.items()))


def _keys(sort):
    """The list's order for this sort as [(name, expression, descending, nulls: None, "first" or "last")].

    The names are aliases for the expressions, so that the conditions below can name them.
    """
    keys = []
    for i, item in enumerate(list_order(sort)):
        if isinstance(item, OrderBy):
            nulls = "last" if item.nulls_last else "first" if item.nulls_first else None
            expression, descending = item.expression, item.descending
        elif isinstance(item, str):
            expression, descending, nulls = F(item.lstrip("-")), item.startswith("-"), None
        else:  # the title shown, never empty
            expression, descending, nulls = item, False, None
        keys.append((f"key_{i}", expression, descending, nulls))
    return keys


def _reversed(keys):
    flip = {"first": "last", "last": "first", None: None}
    return [(name, expression, not descending, flip[nulls]) for name, expression, descending, nulls in keys]


def _order(keys):
    return [
        OrderBy(
            F(name), descending=descending, nulls_first=nulls == "first" or None, nulls_last=nulls == "last" or None
        )
        for name, _, descending, nulls in keys
    ]


def _after(keys, values):
    """The rows after `values` in the order `keys`: (k1 > v1) or (k1 = v1 and k2 > v2) or …"""
    after, same = Q(pk__in=[]), Q()
    for name, _, descending, nulls in keys:
        value = values[name]
        if value is None:
            # Nulls sort together: after them come the non-null values only when nulls come first.
            beyond = Q(**{f"{name}__isnull": False}) if nulls == "first" else None
            equal = Q(**{f"{name}__isnull": True})
        else:
            beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
            if nulls == "last":
                beyond |= Q(**{f"{name}__isnull": True})
            equal = Q(**{name: value})
        if beyond is not None:
            after |= same & beyond
        same &= equal
    # Every row after a non-null first key lies on its side of it (unless nulls come last): saying so
    # lets the database seek in the order's index instead of walking it from one end to this case.
    name, _, descending, nulls = keys[0]
    if values[name] is not None and nulls != "last":
        after &= Q(**{f"{name}__{'lte' if descending else 'gte'}": values[name]})
    return after


def _filtered(query):
    params = QueryDict(query)
    chosen, search, sort, _ = read_query(params, primaries={params.get("primary", "")} - {""})
    cases = Case.objects.published()
    for name, value in chosen.items():
        cases = cases.filter(Q(known_primary__slug=value) if name == "primary" else FIXED_FACETS[name].q(value))
    if search:
        cases = cases.search(search)
    return cases, sort


def find_neighbours(case_id, query):
    """(previous, next) published cases around this one in the list filtered by `query` (validated)."""
    cases, sort = _filtered(query)
    keys = _keys(sort)
    aliases = {name: expression for name, expression, _, _ in keys}
    values = Case.objects.filter(pk=case_id).annotate(**aliases).values(*aliases).first()
    if values is None:
        return None, None
    shown = ("pk", "slug", "title_en", "title_fr", "status")
    found = []
    for order in (_reversed(keys), keys):
        seek = cases.alias(**aliases).filter(_after(order, values)).order_by(*_order(order))
        found.append(seek.only(*shown).first())
    return tuple(found)


def neighbours(case_id, raw_query, version):
    """Links to the previous and next case as the list shows them: {"previous"/"next": {url, title} or None},
    and the validated list query under "list".

    Only published content counts, so the result is cached per content version (and language: titles).
    """
    query = list_query(raw_query)

    def compute():
        suffix = "?" + urlencode({"list": query}) if query else ""
        links = {"list": query}  # the validated list, for the reveal link
        for rel, case in zip(("previous", "next"), find_neighbours(case_id, query), strict=True):
            if case:  # with the language of the title shown, where it is not the page's (not yet translated)
                links[rel] = {
                    "url": case.get_absolute_url() + suffix,
                    "title": case.title,
                    "lang": shown_in(case, "title"),
                }
            else:
                links[rel] = None
        return links

    return cached(f"case-neighbours:{digest(version, case_id, query, get_language())}", compute)
