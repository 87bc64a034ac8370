"""The interface in French under /fr/: every page translated, its twin linked, the switch and the first visit."""

import re
from html import unescape

import pytest
from django.utils.translation import override

from cases.anatomy import Level
from cases.models import Differential, Reference
from quiz.models import QuizRun

from .factories import make_case

# What a French page must never show: interface strings of the English pages (the case content
# below is written in French, so any of these on a /fr/ page is an interface string left unmarked).
ENGLISH_UI = [
    "Skip to content",
    "Sign in",
    "Filter cases",
    "Search presentations",
    "Apply filters",
    "Sort by",
    "Teaching cases",
    "Quiz me on these cases",
    "Known primary",
    "Difficulty",
    "Not stated",
    "Presentation and history",
    "Imaging findings",
    "Compartment",
    "Reveal diagnosis",
    "Commit to a diagnosis",
    "Differential diagnosis",
    "Argues against",
    "Teaching points",
    "Management and outcome",
    "References",
    "Source of this case",
    "Proven by",
    "Diagnoses",
    "What distinguishes it",
    "Show the cases",
    "About Casebook",
    "How a case works",
    "Quiz yourself",
    "Which cases",
    "Answer format",
    "Start the quiz",
    "Back to the case list",
    "Your answer",
    "Commit my answer",
    "Once committed",
    "Unknown 1 of",
    "Your leading diagnosis",
    "Other differential",
    "Username",
    "Password",
    "Page not found",
    "Sign in to see your progress",
    "Intermediate",
    "Female",
    "Intradural extramedullary",
    "Histology",
]
# English words that no French sentence uses: the net for strings nobody listed above.
ENGLISH_WORDS = {"the", "and", "your", "you", "with", "this", "these", "is", "are", "for", "of", "to", "by", "here"}


def visible_text(html):
    """What a reader sees: the body's text, without tags, scripts or attribute values."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))  # keeping no-break spaces


def french_case():
    """A case whose every field is written in French, so the page holds no English but the interface's."""
    case = make_case(
        title="Femme de 52 ans avec une lourdeur progressive de la jambe gauche",
        final="Métastase intradurale extramédullaire",
        final_aliases="",
        differentials=("Méningiome", "Schwannome"),
        levels=((Level.L1, Level.L1),),
        findings=[{"technique": "T1 après injection", "description": "Lésion rehaussée de façon hétérogène."}],
        primary="Carcinome mammaire",
        discussion="Une métastase intradurale est rare.",
        presentation="Lourdeur progressive de la jambe gauche depuis quelques semaines.",
        teaching_points="- Chercher un épaississement épidural.",
        management_outcome="Décompression puis radiothérapie.",
    )
    Differential.objects.filter(case=case).update(favours="Centre nécrotique.", against="Rareté.")
    for differential in case.differentials.all():
        differential.diagnosis.summary = "Une entité du rachis."
        differential.diagnosis.save()
    Reference.objects.filter(case=case).update(citation="Auteur A. Un article de revue.")
    return case


def french(url):
    return "/fr" + url


def assert_french(response):
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    text = visible_text(html)
    left = [s for s in ENGLISH_UI if s in text]
    assert not left, f"English interface strings on a French page: {left}"
    words = sorted(ENGLISH_WORDS & set(re.findall(r"[a-z]+", text.lower())))
    assert not words, f"English words on a French page: {words} in {text}"
    return html


class Urls:
    """A case's addresses, read in English: after a French request the test's thread is still in French."""

    def __init__(self, case):
        with override("en-gb"):
            self.case = case.get_absolute_url()
            self.answer = case.get_answer_url()
            diagnosis = case.differentials.get(is_final=True).diagnosis
            self.diagnosis = diagnosis.get_absolute_url()
            self.diagnosis_cases = f"/diagnoses/{diagnosis.slug}/cases/"


@pytest.fixture
def case(db):
    return Urls(french_case())


def test_french_pages_are_french_throughout(client, case):
    for url in [
        "/",
        "/about/",
        case.case,
        case.answer,
        "/diagnoses/",
        case.diagnosis,
        case.diagnosis_cases,
        "/quiz/",
        "/progress/",
        "/accounts/login/",
        "/accounts/password_reset/",
    ]:
        assert_french(client.get(french(url)))


def test_a_french_page_says_so_in_french(client, case):
    assert "Révéler le diagnostic" in client.get(french(case.case)).content.decode()
    answer = client.get(french(case.answer)).content.decode()
    assert "Diagnostic différentiel" in answer and "Points clés" in answer
    assert "1 cas." in client.get("/fr/").content.decode()


def test_english_stays_at_the_unprefixed_addresses(client, case):
    html = client.get(case.case).content.decode()
    assert '<html lang="en-gb">' in html and "Reveal diagnosis" in html and "Révéler" not in html


def test_each_page_links_its_twin_in_the_other_language(client, case):
    url = case.case
    for page in (url, french(url)):
        html = client.get(page).content.decode()
        assert f'<link rel="alternate" hreflang="en-gb" href="{url}">' in html
        assert f'<link rel="alternate" hreflang="fr" href="{french(url)}">' in html


def test_a_page_that_does_not_exist_claims_no_twin(client, db):
    response = client.get("/fr/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="fr">' in html and "Page introuvable" in html and 'rel="alternate"' not in html


def test_the_language_switch_is_a_plain_link_to_the_twin(client, case):
    """No JavaScript, no form: a link records the choice and leads to the same page in French."""
    url = case.case
    html = client.get(url).content.decode()
    switch = re.search(r'<a href="([^"]+)" hreflang="fr" lang="fr" rel="nofollow">Français</a>', html)
    assert switch, "no link to the French page"
    response = client.get(unescape(switch.group(1)))
    assert response.status_code == 302 and response["Location"] == french(url)
    assert client.cookies["django_language"].value == "fr"
    back = re.search(r'<a href="([^"]+)" hreflang="en-gb"', client.get(french(url)).content.decode())
    response = client.get(unescape(back.group(1)))
    assert response.status_code == 302 and response["Location"] == url
    assert client.cookies["django_language"].value == "en-gb"


def test_the_switch_only_leads_to_our_own_pages(client, db):
    response = client.get("/language/fr/", {"next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == "/fr/"
    assert client.get("/language/de/", {"next": "/"}).status_code == 404


def test_a_first_visit_follows_the_browsers_language(client, case):
    response = client.get("/about/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    assert response.status_code == 302 and response["Location"] == "/fr/about/"
    assert "Accept-Language" in response["Vary"]
    # The choice is remembered, so the English page stays reachable from the switch.
    assert client.get("/about/", HTTP_ACCEPT_LANGUAGE="fr-FR").status_code == 200


def test_an_english_browser_or_a_chosen_language_is_not_redirected(client, db):
    assert client.get("/about/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").status_code == 200
    assert client.get("/about/").status_code == 200
    client.cookies["django_language"] = "en-gb"
    assert client.get("/about/", HTTP_ACCEPT_LANGUAGE="fr").status_code == 200
    assert client.get("/images/nothing.webp", HTTP_ACCEPT_LANGUAGE="fr").status_code == 404


def test_a_quiz_question_under_fr_is_french(client, case):
    response = client.post("/fr/quiz/", {"count": 1, "mode": "practice", "answer_format": "free_text"})
    assert response.status_code == 302 and response["Location"].startswith("/fr/quiz/")
    html = assert_french(client.get(response["Location"]))
    assert "Cas inconnu 1 sur 1" in html and "Valider ma réponse" in html and "Votre diagnostic principal" in html
    run = QuizRun.objects.get()
    response = client.post(f"/fr/quiz/{run.token}/1/", {"answer": "Méningiome"})
    assert response.status_code == 302 and response["Location"] == f"/fr/quiz/{run.token}/1/reveal/"
    reveal = client.get(response["Location"]).content.decode()
    assert "Votre réponse" in reveal and "Faux" in reveal and "Diagnostic final" in reveal


def test_dates_and_numbers_follow_the_language(client, case):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("interne", password="x"))
    client.post("/fr/quiz/", {"count": 1, "mode": "practice", "answer_format": "free_text"})
    run = QuizRun.objects.get()
    client.post(f"/fr/quiz/{run.token}/1/", {"answer": "Méningiome"})
    summary = visible_text(client.get(f"/fr/quiz/{run.token}/").content.decode())
    assert "0 sur 1 justes (0\u202f%)" in summary
    assert re.search(r"terminé le \d{1,2} [a-zéû]+ \d{4} à \d\d:\d\d", summary)
    progress = visible_text(client.get("/fr/progress/").content.decode())
    assert "compte 0,5." in progress
    english = visible_text(client.get("/progress/").content.decode())
    assert "counts 0.5." in english


def test_the_scripts_catalogue_is_served_from_our_origin_in_each_language(client, db):
    french_js = client.get("/fr/jsi18n/")
    assert french_js.status_code == 200 and "Zoom avant" in french_js.content.decode()
    assert "Zoom avant" not in client.get("/jsi18n/").content.decode()
    html = client.get("/fr/about/").content.decode()
    assert '<script src="/fr/jsi18n/" defer></script>' in html
