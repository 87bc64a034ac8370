"""Previous and next case within the list's filters and sort (study.neighbours)."""

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case

from .factories import make_case

pytestmark = pytest.mark.django_db

QUERY_NAMES = ["q", "region", "level", "compartment", "modality", "primary", "sex", "age", "difficulty", "sort", "page"]


def make(title, compartment="intradural_extramedullary", **kw):
    return make_case(title=title, findings=[{"compartment": compartment}], **kw)


def links(html):
    """{"prev"/"next": (href, text)} from the case page's neighbour links."""
    found = {}
    for rel, href, text in re.findall(r'<a rel="(prev|next)" href="([^"]+)"[^>]*>(.*?)</a>', html, re.S):
        found[rel] = (href.replace("&amp;", "&"), re.sub(r"<[^>]+>", "", text).strip())
    return found


def walk(client, start, rel, limit):
    """The cases visited from `start` following `rel` links: at most `limit` (a loop would go on)."""
    visited, url = [], start
    while url and len(visited) <= limit:
        visited.append(url)
        url = links(client.get(url).content.decode()).get(rel, (None,))[0]
    return visited


def card_links(html):
    return [href.replace("&amp;", "&") for href in re.findall(r'class="card__title"[^>]*><a href="([^"]+)"', html)]


@pytest.fixture
def alphabet():
    """Five published cases (titles A to E) and one draft between them; B and D are intramedullary."""
    cases = {
        "a": make("A: woman with back pain"),
        "b": make("B: man with numb feet", compartment="intramedullary"),
        "c": make("C: woman with leg weakness"),
        "d": make("D: girl with gait change", compartment="intramedullary"),
        "e": make("E: man with neck pain", age=None),
    }
    make("BB: draft between them", status=Case.Status.DRAFT)
    return cases


def test_default_list_neighbours_follow_the_title_order(client, alphabet):
    found = links(client.get(alphabet["c"].get_absolute_url()).content.decode())
    assert found["prev"] == (alphabet["b"].get_absolute_url(), "← Previous: B: man with numb feet")
    assert found["next"] == (alphabet["d"].get_absolute_url(), "Next: D: girl with gait change →")


def test_first_and_last_cases_have_one_neighbour(client, alphabet):
    assert set(links(client.get(alphabet["a"].get_absolute_url()).content.decode())) == {"next"}
    assert set(links(client.get(alphabet["e"].get_absolute_url()).content.decode())) == {"prev"}


def test_drafts_are_never_neighbours_even_for_staff(admin_client, alphabet):
    html = admin_client.get(alphabet["b"].get_absolute_url()).content.decode()
    assert "BB: draft" not in html
    assert links(html)["next"][0] == alphabet["c"].get_absolute_url()


def test_a_compartment_filter_is_never_left(client, alphabet):
    listing = client.get("/", {"compartment": "intramedullary"}).content.decode()
    hrefs = card_links(listing)
    assert [urlsplit(h).path for h in hrefs] == [alphabet["b"].get_absolute_url(), alphabet["d"].get_absolute_url()]
    assert parse_qs(urlsplit(hrefs[0]).query) == {"list": ["compartment=intramedullary"]}

    found = links(client.get(hrefs[0]).content.decode())
    assert set(found) == {"next"}  # A and C are not intramedullary
    assert found["next"][0] == hrefs[1]  # the same ?list= carried on
    found = links(client.get(found["next"][0]).content.decode())
    assert set(found) == {"prev"}  # E is not intramedullary either
    assert found["prev"][0] == hrefs[0]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("title", "abcde"),
        ("age", None),
        ("-age", None),
        ("difficulty", None),
        ("-difficulty", None),
        ("recent", None),
    ],
)
def test_walking_next_visits_the_list_in_its_order(client, alphabet, sort, order):
    """From the list's first card, "Next" visits every card of the list in the list's order, and "Previous" back."""
    # Cases loaded from a fixture have no publication date: "recent" puts them last, among themselves by title.
    Case.objects.filter(pk__in=[alphabet["b"].pk, alphabet["d"].pk]).update(published_at=None)
    listing = card_links(client.get("/", {"sort": sort}).content.decode())
    assert len(listing) == 5
    assert walk(client, listing[0], "next", limit=len(listing)) == listing
    assert walk(client, listing[-1], "prev", limit=len(listing)) == listing[::-1]


def test_a_search_is_kept(client, alphabet):
    hrefs = card_links(client.get("/", {"q": "woman"}).content.decode())
    assert len(hrefs) == 2  # A and C
    assert links(client.get(hrefs[0]).content.decode())["next"][0] == hrefs[1]


def test_neighbour_links_never_name_a_diagnosis(client, alphabet):
    html = client.get(alphabet["c"].get_absolute_url()).content.decode()
    nav = html[html.index('class="case-neighbours"') :]
    nav = nav[: nav.index("</nav>")]
    for spoiler in ("Intradural extramedullary metastasis", "IDEM", "Meningioma", "Schwannoma"):
        assert spoiler not in nav


@pytest.mark.parametrize("size", [1, 40])
def test_case_page_query_count_does_not_grow(client, size, django_assert_num_queries):
    for n in range(size):
        make(f"Case {n:03d}: woman with back pain")
    middle = Case.objects.get(title=f"Case {size // 2:03d}: woman with back pain")
    url = middle.get_absolute_url() + "?" + urlencode({"list": "compartment=intradural_extramedullary&sort=-age"})
    # The content version, the case's shell, its presentation (the case, its spans, findings and
    # images; cached after), then the neighbours: the case's place in the order, the previous and
    # the next case (cached after too).
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    # Cached: the content version only.
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


@given(st.one_of(st.text(max_size=60), st.dictionaries(st.sampled_from([*QUERY_NAMES, "x"]), st.text(max_size=20))))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_list_parameter_is_harmless(client, alphabet, value):
    raw = urlencode(value) if isinstance(value, dict) else value
    response = client.get(alphabet["c"].get_absolute_url(), {"list": raw})
    assert response.status_code == 200


def test_the_reveal_keeps_the_list_and_the_answer_page_shows_the_neighbours(client, alphabet):
    hrefs = card_links(client.get("/", {"compartment": "intramedullary"}).content.decode())
    html = client.get(hrefs[0]).content.decode()
    reveal = re.search(r'id="reveal-link" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert reveal == alphabet["b"].get_answer_url() + "?list=compartment%3Dintramedullary"
    found = links(client.get(reveal).content.decode())
    assert found == {"next": (hrefs[1], "Next: D: girl with gait change →")}
    # Junk in ?list= is not carried on.
    html = client.get(alphabet["b"].get_absolute_url(), {"list": "nonsense=1&region=nowhere"}).content.decode()
    assert 'id="reveal-link" href="' + alphabet["b"].get_answer_url() + '"' in html


@pytest.mark.parametrize("empty", [None, ""])
def test_the_french_list_orders_untranslated_cases_by_the_title_it_shows(client, empty):
    """A case not yet translated shows its English title on the French list, and sits there by that
    title, among the others, on every database (ordered by the French column alone, SQLite put such
    cases first and PostgreSQL last, and Previous/Next stopped at their edge)."""
    for title_en, title_fr in [
        ("Alpha: woman with back pain", "A : femme avec dorsalgie"),
        ("Bravo: man with numb feet", empty),
        ("Charlie: woman with weak legs", "C : femme aux jambes faibles"),
        ("Delta: girl with gait change", empty),
        ("Echo: man with neck pain", "E : homme avec cervicalgie"),
    ]:
        make(title_en, title_fr=title_fr)
    listing = client.get("/fr/").content.decode()
    shown = re.findall(r'class="card__title"[^>]*>(.*?)</h2>', listing, re.S)
    titles = [re.sub(r"<[^>]+>", "", title).strip() for title in shown]
    assert titles == [
        "A : femme avec dorsalgie",
        "Bravo: man with numb feet",
        "C : femme aux jambes faibles",
        "Delta: girl with gait change",
        "E : homme avec cervicalgie",
    ]
    cards = card_links(listing)
    assert walk(client, cards[0], "next", limit=len(cards)) == cards
    assert walk(client, cards[-1], "prev", limit=len(cards)) == cards[::-1]
    # A title not yet translated is marked as English for screen readers, here and among related cases.
    first = client.get(cards[0]).content.decode()
    assert '<span lang="en">Bravo: man with numb feet</span>' in first
    answer = client.get(urlsplit(cards[0]).path + "answer/").content.decode()
    assert re.search(r'<a href="[^"]+" lang="en">Bravo: man with numb feet</a>', answer)
    assert re.search(r'<a href="[^"]+">C : femme aux jambes faibles</a>', answer)
    # The links speak French typography: a no-break space before the colon.
    found = links(client.get(cards[1]).content.decode())
    assert found["prev"][1] == "← Précédent\u00a0: A : femme avec dorsalgie"
    assert found["next"][1] == "Suivant\u00a0: C : femme aux jambes faibles →"
