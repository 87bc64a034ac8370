import html
import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.anatomy import Level, Region
from cases.models import Case

from .factories import make_case

pytestmark = pytest.mark.django_db


# The parameters the list understands, for the property tests (plus one it does not).
QUERY_NAMES = ["q", "region", "level", "compartment", "modality", "primary", "sex", "age", "difficulty", "sort", "page"]


def titles(response):
    """The cards' titles, as the resident sees them."""
    return [
        html.unescape(t) for t in re.findall(r'<h2 class="card__title"><a href="[^"]+">([^<]+)</a>', page(response))
    ]


def page(response):
    assert response.status_code == 200
    return response.content.decode()


def case_count(response):
    """The number the page announces ("5 cases match your filters")."""
    return int(re.search(r'<p class="results__count" role="status">(\d+) case', page(response)).group(1))


def facet_counts(response):
    """{facet name: [(option value, count)]}, read from the filter form's selects."""
    selects = re.findall(r'<select name="(\w+)" id="id_\w+">(.*?)</select>', page(response), re.S)
    return {
        name: [
            (value, int(count)) for value, count in re.findall(r'<option value="([^"]+)"[^>]*>[^<]*\((\d+)\)<', body)
        ]
        for name, body in selects
        if name != "sort"
    }


@pytest.fixture
def three_cases():
    return {
        "conus": make_case(
            title="35-year-old woman with left leg weakness",
            age=35,
            levels=((Level.T12, Level.L1),),
            findings=[
                {
                    "compartment": "intramedullary",
                    "modality": "mri",
                    "description": "Three nodules in the conus medullaris.",
                }
            ],
            difficulty=Case.Difficulty.FOUNDATION,
        ),
        "neck": make_case(
            title="73-year-old woman with numb limbs",
            age=73,
            levels=((Region.CERVICAL, None),),
            primary=None,
            findings=[{"modality": "ct", "compartment": "vertebral_body", "description": "A destructive mass."}],
            difficulty=Case.Difficulty.ADVANCED,
            presentation="Épanchement pleural, numbness of all four limbs.",
        ),
        "man": make_case(
            title="Man with back pain",
            age=None,
            sex="",
            levels=((Level.L5, Level.S1),),
            primary="Prostate carcinoma",
            findings=[{"modality": "radiograph", "compartment": "disc_endplates", "description": "Endplate loss."}],
        ),
    }


def test_list_shows_a_card_per_published_case_with_presentation_facts(client, three_cases):
    make_case(title="A draft nobody may see", status=Case.Status.DRAFT)
    response = client.get("/")
    assert response.status_code == 200
    assert sorted(titles(response)) == sorted(c.title for c in three_cases.values())
    html = response.content.decode()
    assert "A draft nobody may see" not in html
    assert "35 y, female" in html
    assert "Thoracic, Lumbar" in html and "(T12–L1)" in html
    assert "(level not stated)" in html
    assert '<svg class="spine spine--small"' in html
    assert "Foundation" in html


def test_a_cards_spine_marks_the_cases_levels_and_its_unlevelled_regions(client):
    make_case(title="Two spans", levels=((Level.T12, Level.L1), (Region.SACRAL, None)))
    svg = re.search(r'<svg class="spine spine--small".*?</svg>', client.get("/").content.decode()).group(0)
    vertebrae = re.findall(r'<rect class="spine__vertebra( is-involved| is-region)?"[^>]*><title>([^<]+)</title>', svg)
    assert [label for state, label in vertebrae if state == " is-involved"] == ["T12", "L1"]
    assert [label for state, label in vertebrae if state == " is-region"] == ["S1", "S2", "S3", "S4", "S5"]
    assert len(vertebrae) == 30 and vertebrae[-1] == ("", "Coccyx")
    assert 'aria-label="Spine diagram, levels involved: T12–L1, Sacral, level not stated"' in svg


def test_cards_never_show_answer_side_content(client):
    case = make_case(
        final="Intradural extramedullary metastasis",
        final_aliases="IDEM metastasis",
        differentials=("Meningioma", "Schwannoma"),
        discussion="Drop metastases spread via CSF.",
    )
    html = client.get("/").content.decode()
    assert case.title in html
    for spoiler in (
        "Intradural extramedullary metastasis",
        "IDEM metastasis",
        "Meningioma",
        "Schwannoma",
        "Drop metastases",
        "spoiler-bearing citation",
    ):
        assert spoiler not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"region": "lumbar"}, {"conus", "man"}),
        ({"region": "thoracic"}, {"conus"}),
        ({"region": "cervical"}, {"neck"}),
        ({"region": "sacral"}, {"man"}),
        ({"level": "L1"}, {"conus"}),
        ({"level": "S1"}, {"man"}),
        ({"level": "C3"}, set()),  # the cervical case states no level
        ({"compartment": "intramedullary"}, {"conus"}),
        ({"modality": "ct"}, {"neck"}),
        ({"primary": "breast-carcinoma"}, {"conus"}),
        ({"primary": "prostate-carcinoma"}, {"man"}),
        ({"sex": "female"}, {"conus", "neck"}),
        ({"age": "under-40"}, {"conus"}),
        ({"age": "60-79"}, {"neck"}),
        ({"difficulty": "3"}, {"neck"}),
        ({"region": "lumbar", "modality": "radiograph"}, {"man"}),
    ],
)
def test_each_filter_narrows_the_list(client, three_cases, query, expected):
    response = client.get("/", query)
    assert set(titles(response)) == {three_cases[k].title for k in expected}


@pytest.mark.parametrize("q", ["epanchement", "ÉPANCHEMENT", "Epanchément pleural", "conus NODULES", "limbs numb"])
def test_search_is_accent_and_case_insensitive_over_presentation_text(client, three_cases, q):
    found = set(titles(client.get("/", {"q": q})))
    assert found and found <= {three_cases["neck"].title, three_cases["conus"].title}


def test_search_does_not_look_at_answer_side_text(client):
    make_case(discussion="Necrotic centre typical of metastasis", final="Solitary fibrous tumour")
    assert titles(client.get("/", {"q": "necrotic"})) == []
    assert titles(client.get("/", {"q": "solitary fibrous"})) == []


def test_counts_per_filter_value_ignore_the_facets_own_choice(client, three_cases):
    html = client.get("/", {"region": "cervical"}).content.decode()
    # Other regions still show how many cases they would give.
    assert re.search(r'<option value="lumbar"[^>]*>Lumbar \(2\)</option>', html)
    assert re.search(r'<option value="cervical" selected[^>]*>Cervical \(1\)</option>', html)
    # Other facets count within the chosen region.
    assert re.search(r'<option value="ct"[^>]*>CT \(1\)</option>', html)
    assert re.search(r'<option value="mri" disabled>MRI \(0\)</option>', html)


def test_sorting_by_age(client, three_cases):
    assert titles(client.get("/", {"sort": "-age"})) == [
        three_cases["neck"].title,
        three_cases["conus"].title,
        three_cases["man"].title,
    ]
    assert titles(client.get("/", {"sort": "age"}))[0] == three_cases["conus"].title


def test_cases_that_state_no_age_or_were_never_dated_come_last_in_either_direction(client):
    """Nulls last on every database (SQLite and PostgreSQL place them at opposite ends by default)."""
    from datetime import timedelta

    from django.utils import timezone

    undated = make_case(title="A: age not stated", age=None)
    older = make_case(title="B: thirty", age=30)
    newer = make_case(title="C: seventy", age=70)
    assert titles(client.get("/", {"sort": "age"})) == [older.title, newer.title, undated.title]
    assert titles(client.get("/", {"sort": "-age"})) == [newer.title, older.title, undated.title]
    now = timezone.now()
    Case.objects.filter(pk=undated.pk).update(published_at=None)  # as a fixture loads a case
    Case.objects.filter(pk=older.pk).update(published_at=now - timedelta(days=2))
    Case.objects.filter(pk=newer.pk).update(published_at=now - timedelta(days=1))
    assert titles(client.get("/", {"sort": "recent"})) == [newer.title, older.title, undated.title]


def test_pagination_keeps_the_filters(client, settings):
    settings.CASES_PER_PAGE = 2
    for _ in range(5):
        make_case(levels=((Level.L2, Level.L2),))
    make_case(levels=((Level.C4, Level.C4),))
    response = client.get("/", {"region": "lumbar", "sort": "title"})
    assert case_count(response) == 5
    assert 'href="?region=lumbar&amp;sort=title&amp;page=2"' in page(response)
    page3 = client.get("/", {"region": "lumbar", "sort": "title", "page": 3})
    assert len(titles(page3)) == 1
    assert "Page 3 of 3" in page3.content.decode()


def test_empty_state_says_nothing_matches(client, three_cases):
    response = client.get("/", {"q": "zebra unicorn"})
    assert response.status_code == 200
    assert "No cases match" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"region": "nowhere"},
        {"level": "T13"},
        {"primary": "no-such"},
        {"page": "abc"},
        {"page": "999"},
        {"difficulty": "9"},
        {"sort": "DROP TABLE"},
        {"q": "x" * 5000},
        {"age": "-1"},
    ],
)
def test_bad_filter_values_are_reported_not_a_server_error(client, three_cases, query):
    response = client.get("/", query)
    assert response.status_code == 200


@given(
    st.dictionaries(
        st.sampled_from([*QUERY_NAMES, "other"]),
        st.text(max_size=30),
        max_size=5,
    )
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_querystring_causes_a_server_error(client, query):
    response = client.get("/?" + urlencode(query))
    assert response.status_code == 200


@pytest.mark.parametrize("filtered", [False, True])
def test_list_query_count_does_not_grow_with_cases(client, settings, filtered):
    settings.CASES_PER_PAGE = 60
    make_case(title="One woman with leg pain")
    query = {"region": "lumbar", "q": "leg"} if filtered else {}
    # Expected: the content version (the cache key), the primary-tumour options, one query for
    # the total and every facet's counts (however many are chosen), the page of cases, its level
    # spans and findings: 6, filtered or not.
    with CaptureQueriesContext(connection) as one:
        client.get("/", query)
    for _ in range(49):
        make_case(primary="Lung carcinoma")
    with CaptureQueriesContext(connection) as fifty:
        response = client.get("/", query)
    # The same page again comes from the cache: only the version is read.
    with CaptureQueriesContext(connection) as again:
        client.get("/", query)
    assert case_count(response) == 50
    assert len(one.captured_queries) == len(fifty.captured_queries) == 6
    assert len(again.captured_queries) == 1


def test_an_edit_shows_on_the_cached_list_at_once(client, three_cases):
    assert "Lumbar (2)" in client.get("/").content.decode()
    conus = three_cases["conus"]
    conus.title = "35-year-old woman with a renamed presentation"
    conus.save()
    assert conus.title in client.get("/").content.decode()
    three_cases["man"].delete()
    html = client.get("/").content.decode()
    assert "Lumbar (1)" in html and three_cases["man"].title not in html


FACET_CHOICES = {
    "region": [r.value for r in Region],
    "level": ["C5", "T12", "L1", "L5", "S1"],
    "compartment": ["intramedullary", "vertebral_body", "disc_endplates", "extradural"],
    "modality": ["mri", "ct", "radiograph"],
    "primary": ["breast-carcinoma", "prostate-carcinoma"],
    "sex": ["female", "male"],
    "age": ["under-40", "60-79", "80-plus"],
    "difficulty": ["1", "3"],
}


@given(
    chosen=st.dictionaries(st.sampled_from(sorted(FACET_CHOICES)), st.integers(0, 9), max_size=3),
    search=st.sampled_from(["", "leg", "numb", "endplate loss", "zebra"]),
)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_count_is_the_number_of_cases_that_choosing_it_shows(client, three_cases, chosen, search):
    """The counts come from one query, the page from the filters: for any combination they agree."""
    query = {name: FACET_CHOICES[name][n % len(FACET_CHOICES[name])] for name, n in chosen.items()}
    if search:
        query["q"] = search
    response = client.get("/", query)
    assert case_count(response) == len(titles(response))
    counts = facet_counts(response)
    assert set(FACET_CHOICES) <= set(counts)
    for name, options in counts.items():
        for value, count in [o for o in options if o[1]][:4] + [o for o in options if not o[1]][:2]:
            shown = client.get("/", {**query, name: value})
            assert count == len(titles(shown)), (query, name, value)


def test_parameters_the_filters_do_not_know_change_neither_the_page_nor_the_cache(client, three_cases):
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    plain = page(client.get("/"))
    for n in range(20):
        junk = page(client.get("/", {"utm_source": f"mail-{n}", f"x{n}": "y"}))
        assert "match your filters" not in junk and f"mail-{n}" not in junk
        assert junk == plain
    # Every configuration keeps a copy in this process's memory (locmem): count the pages stored there.
    memory = [cache for cache in caches.all() if isinstance(cache, LocMemCache)]
    stored = [key for cache in memory for key in cache._cache if ":page:" in key]
    assert memory and len(stored) == 1, stored


def test_a_draft_staff_saw_is_not_served_to_a_resident_from_the_cache(client, three_cases):
    from django.contrib.auth.models import User
    from django.test import Client

    draft = make_case(title="An unpublished case still being written", status=Case.Status.DRAFT)
    editor = Client()
    editor.force_login(User.objects.create_user("editor", is_staff=True))
    for query in ({}, {"region": "lumbar"}, {"q": "unpublished"}):
        assert draft.title in page(editor.get("/", query)), query
        resident_view = page(client.get("/", query))
        assert draft.title not in resident_view and draft.slug not in resident_view, query
    assert editor.get(draft.get_absolute_url()).status_code == 200
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(draft.get_answer_url()).status_code == 404


def test_search_finds_what_the_page_shows_not_link_addresses_or_comments(client):
    case = make_case(
        title="Woman with a long history of back pain",
        presentation="Read [the referral letter](https://example.org/zebra-report) first. <!-- quagga -->",
        findings=[{"description": "An <span title='okapi'>enhancing</span> focus; see [figure](https://e.org/ibex)."}],
    )
    assert titles(client.get("/", {"q": "referral letter"})) == [case.title]
    assert titles(client.get("/", {"q": "figure enhancing"})) == [case.title]
    for hidden in ("zebra", "quagga", "okapi", "ibex", "example org", "https"):
        assert titles(client.get("/", {"q": hidden})) == [], hidden


@given(
    st.dictionaries(
        st.sampled_from([*QUERY_NAMES, "utm_source"]),
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                [
                    "lumbar",
                    "T12",
                    "extradural",
                    "mri",
                    "breast-carcinoma",
                    "no-such",
                    "female",
                    "60-79",
                    "3",
                    "-age",
                    "title",
                    " leg ",
                    "",
                ]
            ),
        ),
        max_size=6,
    )
)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_cache_key_reads_a_query_exactly_as_the_filters_do(db, query):
    """The list keys its cache on read_query, which must agree with CaseFilter's own validation."""
    from django.http import QueryDict

    from cases.filters import CaseFilter, primaries_of, read_query

    if not Case.objects.exists():
        make_case(primary="Breast carcinoma")
    data = QueryDict(mutable=True)
    data.update(query)
    filterset = CaseFilter(data, queryset=Case.objects.all())
    expected_chosen = filterset.chosen()
    cleaned = filterset.form.cleaned_data
    primaries = set(primaries_of(Case.objects.all()).values_list("slug", flat=True))
    assert primaries == {"breast-carcinoma"}
    chosen, search, sort, not_understood = read_query(data, primaries=primaries)
    assert chosen == expected_chosen
    assert search == (cleaned.get("q") or "")
    assert sort == (cleaned.get("sort") or "")
    assert not_understood == sorted(filterset.form.errors)


def test_the_cached_facets_hold_plain_text_not_lazy_translations(db):
    """The facets are cached per language and read on every list request: a lazy translation in them
    costs a proxy class rebuilt on each unpickling (the list ran five times slower)."""
    import pickle

    from cases.filters import CaseFilter, facets, primaries_of

    make_case()
    visible = Case.objects.published()
    _total, result = facets(
        CaseFilter({}, queryset=visible.for_list()), queryset=visible, primaries=primaries_of(visible)
    )
    labels = [facet["label"] for facet in result] + [o["label"] for facet in result for o in facet["options"]]
    assert labels and all(type(label) is str for label in labels)
    assert b"_lazy_proxy_unpickle" not in pickle.dumps(result)


def test_the_unfiltered_counts_follow_every_kind_of_write(client, three_cases):
    """The list with no filter reads counts kept by triggers; whatever writes a case, they stay right."""
    from django.core.cache import cache

    from cases.models import ContentVersion

    def unfiltered():
        ContentVersion.bump()  # as code that writes with update() must (no signal follows it)
        cache.clear()
        response = client.get("/")
        counts = facet_counts(response)
        # Each count is what choosing the option shows (the page comes from the filters, not the totals).
        for name, options in counts.items():
            for value, count in options:
                assert count == case_count(client.get("/", {name: value})), (name, value)
        return case_count(response), counts

    total, counts = unfiltered()
    assert total == 3 and ("lumbar", 2) in counts["region"]
    conus, man = three_cases["conus"], three_cases["man"]
    conus.status = Case.Status.DRAFT
    conus.save()  # a save
    assert unfiltered()[0] == 2
    Case.objects.filter(pk=conus.pk).update(status=Case.Status.PUBLISHED, sex="", age=None)  # an update
    total, counts = unfiltered()
    assert total == 3 and counts["sex"] == [("female", 1), ("male", 0)]  # two not stated now
    Case.objects.filter(pk=man.pk).update(status=Case.Status.HELD)  # held for an exam
    assert unfiltered()[0] == 2
    make_case(title="A case at C5", levels=((Level.C5, Level.C5),), primary="Prostate carcinoma")  # new rows
    total, counts = unfiltered()
    assert total == 3 and ("C5", 1) in counts["level"] and ("prostate-carcinoma", 1) in counts["primary"]
    man.delete()  # deleting a held case changes nothing shown
    conus.delete()
    assert unfiltered()[0] == 2


def test_the_migration_counts_the_cases_already_there(three_cases):
    """0017 fills the totals from the cases present, in the same shape the triggers keep them."""
    import importlib

    from cases.models import FacetTotal

    migration = importlib.import_module("cases.migrations.0017_facet_totals")
    kept = sorted(FacetTotal.objects.filter(n__gt=0).values_list("column", "key", "n"))
    with connection.cursor() as cursor:
        for sql in migration.RECOUNT:
            cursor.execute(sql)
    assert sorted(FacetTotal.objects.filter(n__gt=0).values_list("column", "key", "n")) == kept
    assert ("*", "", 3) in kept and ("region_mask", "4", 2) in kept  # Lumbar is bit 4


@pytest.mark.django_db(transaction=True)  # as the live-server tests are: PostgreSQL truncates outside a transaction
def test_a_flush_leaves_the_totals_at_zero(client, three_cases):
    """flush empties every table, the cases and their totals in whatever order: no count goes below zero
    (the live-server tests flush after each test)."""
    from django.core.management import call_command

    from cases.models import FacetTotal

    call_command("flush", interactive=False, verbosity=0)
    assert not FacetTotal.objects.exclude(n=0).exists()
    make_case(title="The one case left", levels=((Level.L5, Level.L5),))
    counts = facet_counts(client.get("/"))
    assert [(value, n) for value, n in counts["region"] if n] == [("lumbar", 1)]
    assert min(n for options in counts.values() for _value, n in options) == 0


@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_cases_loads_back_with_the_same_totals(client, three_cases, tmp_path):
    """A dump leaves the totals out (-e cases.FacetTotal, as the README says): loading the cases back
    counts them again, through the triggers. (Dumped totals would clash with those.)"""
    from django.core.management import call_command

    from cases.models import FacetTotal

    kept = sorted(FacetTotal.objects.filter(n__gt=0).values_list("column", "key", "n"))
    dump = tmp_path / "cases.json"
    call_command("dumpdata", "cases", exclude=["cases.FacetTotal"], output=str(dump), verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("loaddata", str(dump), verbosity=0)
    assert sorted(FacetTotal.objects.filter(n__gt=0).values_list("column", "key", "n")) == kept


@pytest.mark.parametrize("dropped", ["insert", "update", "delete", "count", "truncate"])
def test_migrate_stops_when_a_migration_has_dropped_the_totals_triggers(dropped):
    """On SQLite a migration that rebuilds cases_case drops its triggers with the old table; the list's
    counts would then drift without a word. migrate says so and fails instead. (Dropped here in the
    test's transaction, which rolls the drop back.)"""
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command

    from cases.models import FacetTotal

    name = f"cases_facettotal_{dropped}"
    if name not in FacetTotal.TRIGGERS[connection.vendor]:
        pytest.skip(f"no {name} on {connection.vendor}")
    call_command("migrate", verbosity=0)  # with every trigger there: nothing to say
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {name}" + (" ON cases_case" if connection.vendor == "postgresql" else ""))
    with pytest.raises(ImproperlyConfigured, match=f"missing from cases_case: {name}"):
        call_command("migrate", verbosity=0)


def test_every_option_of_a_mask_facet_is_one_bit():
    """The kept totals count a case once per bit (published_totals adds them up per option): an
    option of two bits would count a case twice there and once in the filtered pass."""
    from cases.filters import FIXED_FACETS, BitFacet

    for facet in FIXED_FACETS.values():
        if isinstance(facet, BitFacet):
            assert all(bin(test).count("1") == 1 for _label, test in facet.options.values()), facet.name
