import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from cases.anatomy import Level, Region
from cases.models import Case, Differential, ImagingFinding, LevelSpan

from .factories import make_case, make_diagnosis

pytestmark = pytest.mark.django_db


def test_a_case_cannot_have_two_final_diagnoses():
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Differential.objects.create(case=case, order=9, diagnosis=make_diagnosis("Paraganglioma"), is_final=True)
    assert case.differentials.filter(is_final=True).count() == 1


def test_the_same_diagnosis_appears_once_in_a_differential():
    case = make_case(differentials=("Meningioma",))
    with pytest.raises(IntegrityError), transaction.atomic():
        Differential.objects.create(case=case, order=9, diagnosis=make_diagnosis("Meningioma"))


def test_level_span_must_run_head_to_tail():
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelSpan.objects.create(case=case, order=5, first_level=Level.L1, last_level=Level.T12)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImagingFinding.objects.create(
            case=case, order=5, modality="mri", description="x", first_level=Level.S1, last_level=Level.L5
        )


def test_level_span_gives_both_levels_or_only_a_region():
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelSpan.objects.create(case=case, order=5, first_level=Level.C2, last_level=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelSpan.objects.create(case=case, order=6)  # neither levels nor region
    with pytest.raises(IntegrityError), transaction.atomic():
        LevelSpan.objects.create(case=case, order=7, first_level=Level.C2, last_level=Level.C3, region="cervical")
    LevelSpan.objects.create(case=case, order=8, region=Region.CERVICAL)


def test_full_clean_explains_levels_out_of_order():
    case = make_case()
    span = LevelSpan(case=case, order=5, first_level=Level.L2, last_level=Level.L1)
    with pytest.raises(Exception, match="head to tail"):
        span.full_clean()


def test_region_is_derived_from_a_span_across_the_thoracolumbar_junction():
    case = make_case(levels=((Level.T12, Level.L1),))
    case = Case.objects.for_list().get(pk=case.pk)
    assert case.regions() == [Region.THORACIC, Region.LUMBAR]
    assert case.levels_label() == "T12–L1"
    assert Case.objects.in_region(Region.LUMBAR).filter(pk=case.pk).exists()
    assert Case.objects.in_region(Region.THORACIC).filter(pk=case.pk).exists()
    assert not Case.objects.in_region(Region.SACRAL).filter(pk=case.pk).exists()
    assert Case.objects.at_level(Level.L1).filter(pk=case.pk).exists()
    assert not Case.objects.at_level(Level.L2).filter(pk=case.pk).exists()


def test_a_region_without_a_stated_level_matches_the_region_but_no_level():
    case = make_case(levels=((Region.CERVICAL, None),))
    assert Case.objects.in_region(Region.CERVICAL).filter(pk=case.pk).exists()
    assert not Case.objects.at_level(Level.C3).filter(pk=case.pk).exists()
    assert Case.objects.for_list().get(pk=case.pk).levels_label() == "Cervical, level not stated"


def test_markdown_is_rendered_and_sanitised_on_save():
    case = make_case(presentation="Leg **weakness** <script>alert(1)</script>")
    case.refresh_from_db()
    assert "<strong>weakness</strong>" in case.presentation_html
    assert "<script" not in case.presentation_html


def test_slug_is_made_from_the_neutral_title():
    case = make_case(title="35-year-old woman with left leg numbness")
    assert case.slug == "35-year-old-woman-with-left-leg-numbness"
    assert case.get_absolute_url() == "/cases/35-year-old-woman-with-left-leg-numbness/"


def test_loaddata_renders_markdown_that_fixtures_do_not_carry(tmp_path):
    fixture = tmp_path / "one.yaml"
    fixture.write_text(
        "- model: cases.case\n"
        "  fields: {title: Raw case, slug: raw-case,"
        " presentation: 'Épanchement *pleural* <img src=x onerror=alert(1)>', status: published}\n",
        encoding="utf-8",
    )
    call_command("loaddata", str(fixture), verbosity=0)
    case = Case.objects.get(slug="raw-case")
    assert case.presentation_html == "<p>Épanchement <em>pleural</em> </p>"
    assert "epanchement pleural" in case.search_text


def test_filter_fields_follow_edits_to_spans_and_findings():
    """The masks the list filters on are recomputed whenever a span or finding is saved or deleted."""
    case = make_case(levels=((Level.L1, Level.L1),), findings=[{"modality": "mri", "compartment": "extradural"}])
    ct = ImagingFinding.objects.create(
        case=case, order=2, modality="ct", compartment="paraspinal", description="A paraspinal collection."
    )
    span = LevelSpan.objects.create(case=case, order=2, first_level=Level.C5, last_level=Level.C6)
    published = Case.objects.published()
    assert published.in_region(Region.CERVICAL).filter(pk=case.pk).exists()
    assert published.at_level(Level.C6).filter(pk=case.pk).exists()
    assert published.search("paraspinal collection").filter(pk=case.pk).exists()
    ct.delete()
    span.delete()
    assert not published.in_region(Region.CERVICAL).filter(pk=case.pk).exists()
    assert not published.search("paraspinal collection").filter(pk=case.pk).exists()
    assert published.at_level(Level.L1).filter(pk=case.pk).exists()


def test_search_text_covers_findings_and_follows_their_edits():
    case = make_case(findings=[{"description": "Flow voids along the dorsal cord surface."}])
    assert Case.objects.search("flow voids").filter(pk=case.pk).exists()
    finding = case.findings.get()
    finding.description = "A smooth dural tail."
    finding.save()
    assert not Case.objects.search("flow voids").filter(pk=case.pk).exists()
    assert Case.objects.search("dural tail").filter(pk=case.pk).exists()


def test_every_content_edit_changes_the_content_version():
    from cases.models import ContentVersion

    case = make_case()
    seen = {ContentVersion.current()}
    for edit in (
        lambda: Case.objects.get(pk=case.pk).save(),
        lambda: case.findings.first().save(),
        lambda: case.differentials.first().diagnosis.save(),
        lambda: case.references.first().delete(),
        lambda: case.known_primary.save(),
    ):
        edit()
        seen.add(ContentVersion.current())
    assert len(seen) == 6


@pytest.mark.django_db
def test_facet_masks_hold_64_bits_on_every_database():
    """A level or option added later takes a higher bit: the columns must not overflow at bit 31."""
    case = make_case()
    Case.objects.filter(pk=case.pk).update(level_mask=(1 << 62) | 1, modality_mask=1 << 40)
    stored = Case.objects.values_list("level_mask", "modality_mask").get(pk=case.pk)
    assert stored == ((1 << 62) | 1, 1 << 40)
    assert Case.objects.filter(level_mask__has_any=1 << 62).count() == 1


@pytest.mark.django_db
def test_cases_with_the_same_title_keep_one_order_across_pages(client, settings):
    settings.CASES_PER_PAGE = 2
    made = [make_case(title="Woman with back pain", slug=f"woman-with-back-pain-{n}").slug for n in range(5)]
    shown = []
    for page in (1, 2, 3):
        html = client.get("/", {"page": page}).content.decode()
        shown += [slug for slug in made if f"/cases/{slug}/" in html]
    assert sorted(shown) == sorted(made) and len(shown) == 5


def postgresql_only():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (the second pass of make test)")


def another_connection():
    """A second connection to the test database: another server's transaction."""
    import psycopg
    from django.db import connection

    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"])


@pytest.mark.django_db
def test_on_postgresql_search_has_a_trigram_index_and_masks_are_bigint():
    from django.db import connection

    postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_search_trigram'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]
        cursor.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'cases_case' "
            "AND column_name LIKE '%%_mask' ORDER BY column_name"
        )
        assert [row[0] for row in cursor.fetchall()] == ["bigint"] * 4


@pytest.mark.django_db
def test_on_postgresql_pages_run_without_jit_compilation():
    """JIT compiling the list's counting query took longer than counting, at a million cases."""
    from django.db import connection

    postgresql_only()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_edits_of_the_facet_totals_take_one_lock_in_turn():
    """Two edits of different cases must not lock the shared totals in different orders (a deadlock):
    each waits for the one lock another transaction holds."""
    import importlib

    from django.db import OperationalError, connection

    from cases.models import Case
    from tests.factories import make_case

    postgresql_only()
    case = make_case()
    lock = importlib.import_module("cases.migrations.0017_facet_totals").TOTALS_LOCK
    with another_connection() as other:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [lock])  # another edit, not yet committed
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        with pytest.raises(OperationalError, match="lock timeout"):
            Case.objects.filter(pk=case.pk).update(age=51)
        other.rollback()
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = 0")
    Case.objects.filter(pk=case.pk).update(age=52)  # the lock released, the edit goes through


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_edit_waits_for_an_import_touching_its_case_without_deadlock():
    """A (an import) edits case A, then case B; B (an editor) edits case B in between. B waits for
    A's row lock and A for nothing: the totals follow both at commit, under one lock."""
    import threading
    import time

    import psycopg
    from django.db import connection

    from cases.models import Case
    from tests.factories import make_case

    postgresql_only()

    a_case, b_case = make_case(title="A"), make_case(title="B")
    errors = []
    with another_connection() as a, another_connection() as b:
        a.execute("UPDATE cases_case SET age = 1 WHERE id = %s", [a_case.pk])

        def editor():
            try:
                b.execute("UPDATE cases_case SET age = 2 WHERE id = %s", [b_case.pk])
                b.commit()
            except psycopg.Error as error:
                errors.append(error)

        thread = threading.Thread(target=editor)
        thread.start()
        time.sleep(0.5)
        try:
            a.execute("UPDATE cases_case SET age = 3 WHERE id = %s", [b_case.pk])
            a.commit()
        except psycopg.Error as error:
            errors.append(error)
        thread.join()
    assert errors == []
    assert sorted(Case.objects.filter(pk__in=[a_case.pk, b_case.pk]).values_list("age", flat=True)) == [1, 3]
    with connection.cursor() as cursor:
        cursor.execute("""SELECT n FROM cases_facettotal WHERE "column" = 'age' AND "key" IN ('1', '3')""")
        assert sorted(row[0] for row in cursor.fetchall()) == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_truncating_the_cases_empties_their_totals():
    """TRUNCATE fires no row trigger; a statement trigger empties the totals with the cases."""
    from django.db import connection

    from cases.models import FacetTotal
    from tests.factories import make_case

    postgresql_only()
    make_case()
    assert FacetTotal.objects.filter(column="*").values_list("n", flat=True).get() == 1
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_case CASCADE")
    assert not FacetTotal.objects.exclude(n=0).exists()
