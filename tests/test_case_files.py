"""Case files: export, validate-then-import, and the byte-identical round trip."""

import copy

import pytest
import yaml
from django.core.management import CommandError, call_command

from cases.anatomy import Level
from cases.casefiles import MODELS, export_cases
from cases.models import Case, Diagnosis, PrimaryTumour
from tests.factories import make_case, make_diagnosis

pytestmark = pytest.mark.django_db

SLUG = "52-year-old-woman-with-progressive-left-leg-heaviness"
# The shape of fixtures/demo_cases.yaml: natural keys, no pks, vocabulary first, then each case and its rows.
GOOD = f"""
- model: cases.primarytumour
  fields: {{name: Breast carcinoma, slug: breast-carcinoma}}
- model: cases.diagnosis
  fields:
    name: Intradural extramedullary metastasis
    slug: intradural-extramedullary-metastasis
    aliases: |-
      IDEM metastasis
    summary: Example summary.
- model: cases.case
  fields:
    title: 52-year-old woman with progressive left leg heaviness
    slug: {SLUG}
    age: 52
    sex: female
    presentation: Progressive heaviness of the *left* leg.
    known_primary: [breast-carcinoma]
    status: published
    proven_by: histology
    discussion: Example discussion.
- model: cases.levelspan
  fields: {{case: [{SLUG}], order: 1, first_level: 20, last_level: 20}}
- model: cases.imagingfinding
  fields: {{case: [{SLUG}], order: 1, modality: mri, technique: T2, plane: sagittal, first_level: 20,
           last_level: 20, compartment: intradural_extramedullary, description: "Example *finding*."}}
- model: cases.differential
  fields: {{case: [{SLUG}], order: 1, diagnosis: [intradural-extramedullary-metastasis], is_final: true}}
- model: cases.reference
  fields: {{case: [{SLUG}], order: 1, is_source: true, citation: "Boutaleb J et al.", doi: 10.70780/medpeer.000QGPL}}
"""


def entries():
    return yaml.safe_load(GOOD)


def entry(data, model):
    return next(e for e in data if e["model"] == f"cases.{model}")


def write(tmp_path, data, name="cases.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def import_file(path, *args):
    out = []

    class Out:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("import_cases", path, *args, stdout=Out())
    return "".join(out)


def database():
    """Every row of every case table, pks and bookkeeping included."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def unlevelled(data):
    entry(data, "levelspan")["fields"].update(first_level=None, last_level=None, region="cervical")


def bad_files():
    def change(model, **fields):
        def edit(data):
            entry(data, model)["fields"].update(fields)

        return edit

    def twice(model):
        def edit(data):
            data.append(copy.deepcopy(entry(data, model)))

        return edit

    def second_source(data):
        data.append(copy.deepcopy(entry(data, "reference")))
        data[-1]["fields"]["order"] = 2

    return {
        "unknown field": (change("case", colour="red"), f"case {SLUG}: colour: unknown field"),
        "derived html": (
            change("case", presentation_html="<p>x</p>"),
            f"case {SLUG}: presentation_html: derived from the markdown",
        ),
        "bookkeeping": (
            change("case", published_at="2024-01-01T00:00:00Z"),
            f"case {SLUG}: published_at: unknown field",
        ),
        "no final diagnosis": (
            change("differential", is_final=False),
            f"case {SLUG}: differentials: no final diagnosis",
        ),
        "unknown diagnosis": (
            change("differential", diagnosis=["spinal-sarcoid"]),
            f"case {SLUG}: differential spinal-sarcoid: diagnosis: no diagnosis 'spinal-sarcoid' "
            "in the file or the database",
        ),
        "two source documents": (second_source, f"case {SLUG}: reference 2: is_source: a second source document"),
        "level past the coccyx": (
            change("levelspan", first_level=20, last_level=31),
            f"case {SLUG}: involved levels 1: last_level: Value 31 is not a valid choice.",
        ),
        "level not a number": (
            change("imagingfinding", first_level="L1"),
            f"case {SLUG}: imaging finding 1: first_level: “L1” value must be an integer.",
        ),
        "levels out of order": (
            change("levelspan", first_level=21, last_level=20),
            f"case {SLUG}: involved levels 1: levels: The first level must be at or above",
        ),
        "duplicate slug": (twice("case"), f"case {SLUG}: slug: appears twice in the file"),
        "malformed doi": (change("reference", doi="doi:10.1/x"), f"case {SLUG}: reference 1: doi: Enter a DOI"),
        "spoiler title": (
            change("case", title="Woman with an IDEM métastasis"),
            f"case {SLUG}: title: contains “IDEM metastasis”, a name of the final diagnosis",
        ),
        "a pk": (lambda data: entry(data, "case").update(pk=7), "entry 3: give exactly a model and its fields"),
    }


@pytest.mark.parametrize("problem", bad_files())
def test_a_bad_file_is_refused_with_one_line_naming_the_case_and_field_and_changes_nothing(tmp_path, problem):
    make_case(title="52-year-old woman with progressive left leg heaviness", status=Case.Status.DRAFT)
    edit, line = bad_files()[problem]
    data = entries()
    edit(data)
    before = database()

    with pytest.raises(CommandError) as refused:
        import_file(write(tmp_path, data))

    assert line in str(refused.value)
    assert database() == before


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    before = database()
    with pytest.raises(CommandError, match="The file is not valid YAML"):
        import_file(write(tmp_path, "- model: cases.case\n  fields: {title: [unclosed\n"))
    assert database() == before


def test_every_problem_in_a_file_is_reported_at_once(tmp_path):
    data = entries()
    entry(data, "case")["fields"]["colour"] = "red"
    entry(data, "reference")["fields"]["pmid"] = "PMID1"
    with pytest.raises(CommandError) as refused:
        import_file(write(tmp_path, data))
    assert "colour: unknown field" in str(refused.value)
    assert "pmid: A PubMed ID is a number" in str(refused.value)


def test_importing_a_file_creates_the_case_with_rendered_markdown(tmp_path):
    output = import_file(write(tmp_path, GOOD))

    assert f"new: {SLUG}" in output
    case = Case.objects.get(slug=SLUG)
    assert case.presentation_html == "<p>Progressive heaviness of the <em>left</em> leg.</p>"
    assert case.published_at is not None  # published on arrival
    assert case.final_differential().diagnosis.alias_list() == ["IDEM metastasis"]
    assert case.levels_label() == "L1"


def test_markdown_with_a_script_is_sanitised_on_import(tmp_path):
    data = entries()
    entry(data, "case")["fields"]["presentation"] = 'Leg pain.<script>alert("x")</script>'
    entry(data, "imagingfinding")["fields"]["description"] = '<img src=x onerror="alert(1)">Mass.'
    import_file(write(tmp_path, data))
    case = Case.objects.get(slug=SLUG)
    assert "<script" not in case.presentation_html
    assert "onerror" not in case.findings.get().description_html and "<img" not in case.findings.get().description_html


def test_a_dry_run_reports_what_would_change_and_writes_nothing(tmp_path):
    make_case(title="Man with thoracic pain")
    before = database()

    output = import_file(write(tmp_path, GOOD), "--dry-run")

    assert f"new: {SLUG}" in output
    assert "Would import 1 new, 0 updated, 0 unchanged case(s). Nothing was written." in output
    assert database() == before


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD)
    import_file(path)
    after_first = database()

    output = import_file(path)

    assert f"unchanged: {SLUG}" in output
    assert database() == after_first


def test_updating_a_case_replaces_its_rows_and_keeps_when_it_was_first_published(tmp_path):
    case = make_case(
        title="52-year-old woman with progressive left leg heaviness",
        findings=[{"modality": "mri"}, {"modality": "ct"}],
        levels=[(Level.L1, Level.L1)],
    )
    published_at = case.published_at = case.created_at
    case.save()
    data = entries()
    unlevelled(data)

    output = import_file(write(tmp_path, data))

    assert f"updated: {SLUG}" in output
    case.refresh_from_db()
    assert [f.technique for f in case.findings.all()] == ["T2"]
    assert case.levels_label() == "Cervical, level not stated"
    assert [str(d.diagnosis) for d in case.differentials.all()] == ["Intradural extramedullary metastasis"]
    assert case.published_at == published_at


def rich_cases():
    make_case(
        title="Woman with neck pain",
        levels=[(Level.C5, Level.C6), ("thoracic", None)],
        findings=[
            {"modality": "mri", "description": "Line one.\n\n- a *list*\n- of two"},
            {"modality": "ct", "plane": "", "first_level": None, "last_level": None, "compartment": ""},
        ],
        differentials=("Schwannoma", "Méningiome"),
        status=Case.Status.DRAFT,
        teaching_points="- Première ligne\n- Second: with a colon",
    )
    make_case(
        title="Man with back pain",
        final="Vertebral haemangioma",
        final_aliases="VH\nHaemangioma",
        primary=None,
        differentials=(),
    )


def empty_the_database():
    Case.objects.all().delete()
    Diagnosis.objects.update(broader=None)  # the links protect broader terms from deletion
    Diagnosis.objects.all().delete()
    PrimaryTumour.objects.all().delete()


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_then_import_into_an_empty_database_then_export_is_byte_identical(tmp_path, fmt):
    rich_cases()
    exported = tmp_path / f"cases.{fmt}"
    call_command("export_cases", "--format", fmt, "--output", str(exported))
    empty_the_database()

    import_file(str(exported))

    assert export_cases(fmt=fmt) == exported.read_text(encoding="utf-8")
    assert Case.objects.count() == 2


def test_an_export_is_stable_and_leaves_out_derived_fields_and_bookkeeping():
    rich_cases()
    text = export_cases()
    assert text == export_cases()
    for word in ("_html", "_mask", "search_text", "created_at", "updated_at", "published_at", "published_by", "pk:"):
        assert word not in text
    data = yaml.safe_load(text)
    assert [e["model"] for e in data[:5]] == ["cases.primarytumour", *["cases.diagnosis"] * 4]
    assert [e["model"] for e in data[5:10]] == [
        "cases.case",
        "cases.levelspan",
        "cases.imagingfinding",
        "cases.differential",
        "cases.reference",
    ]
    assert entry(data, "levelspan")["fields"]["case"] == ["man-with-back-pain"]


def test_export_can_be_limited_to_published_cases():
    rich_cases()
    text = export_cases(status=Case.Status.PUBLISHED)
    assert "Man with back pain" in text
    assert "Woman with neck pain" not in text
    assert "Méningiome" not in text  # only the vocabulary the exported cases use


def test_export_writes_to_standard_output_by_default(capsys):
    rich_cases()
    call_command("export_cases")
    assert capsys.readouterr().out == export_cases()


@pytest.mark.django_db
def test_synthetic_cases_are_never_exported():
    make_case(title="A real teaching case")
    call_command("seed_synthetic_cases", "3", verbosity=0)
    text = export_cases()
    assert "A real teaching case" in text
    assert "[Synthetic]" not in text and "is_synthetic" not in text


def family_case():
    metastasis = make_diagnosis("Metastasis", aliases="Metastatic disease")
    spinal = make_diagnosis("Spinal metastasis", broader=metastasis)
    vertebral = make_diagnosis("Vertebral metastasis", broader=spinal, compartments=["vertebral_body", "extradural"])
    make_diagnosis("NET metastasis", broader=vertebral, compartments=["vertebral_body"])
    return make_case(
        title="Patient with a T6 lesion",
        final="NET metastasis",
        final_aliases="",
        differentials=("Meningioma",),
        primary=None,
    )


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_broader_terms_and_compartments_travel_with_the_cases_and_round_trip(tmp_path, fmt):
    family_case()
    exported = tmp_path / f"cases.{fmt}"
    call_command("export_cases", "--format", fmt, "--output", str(exported))
    text = exported.read_text(encoding="utf-8")
    data = yaml.safe_load(text)  # JSON is YAML too
    vocabulary = [e["fields"]["slug"] for e in data if e["model"] == "cases.diagnosis"]
    # every broader term comes before the entities under it, even one no case uses
    assert vocabulary == ["meningioma", "metastasis", "spinal-metastasis", "vertebral-metastasis", "net-metastasis"]
    net = next(e["fields"] for e in data if e["model"] == "cases.diagnosis" and e["fields"]["slug"] == "net-metastasis")
    assert net["broader"] == ["vertebral-metastasis"] and net["compartments"] == ["vertebral_body"]
    empty_the_database()

    import_file(str(exported))

    assert export_cases(fmt=fmt) == text
    assert Diagnosis.objects.get(slug="net-metastasis").broader.broader.slug == "spinal-metastasis"


def test_a_file_may_list_an_entity_before_its_broader_term():
    data = entries()
    entry(data, "diagnosis")["fields"]["broader"] = ["spinal-metastasis"]
    data.insert(
        1,
        {
            "model": "cases.diagnosis",
            "fields": {"name": "Spinal metastasis", "slug": "spinal-metastasis", "broader": ["metastasis"]},
        },
    )
    data.insert(1, {"model": "cases.diagnosis", "fields": {"name": "Metastasis", "slug": "metastasis"}})
    data.reverse()  # children before their broader terms, rows before their case: the loader orders them
    from cases.casefiles import import_cases

    import_cases(text=yaml.safe_dump(data, allow_unicode=True))
    assert Diagnosis.objects.get(slug="intradural-extramedullary-metastasis").broader.slug == "spinal-metastasis"


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"compartments": ["intramedullary", "lungs"]}, "compartments: Unknown compartment 'lungs'"),
        ({"broader": ["nowhere"]}, "broader: no diagnosis 'nowhere' in the file or the database"),
    ],
)
def test_a_bad_vocabulary_link_is_refused_and_nothing_is_imported(fields, message):
    from cases.casefiles import CaseFileError, import_cases

    data = entries()
    entry(data, "diagnosis")["fields"].update(fields)
    with pytest.raises(CaseFileError) as refused:
        import_cases(text=yaml.safe_dump(data, allow_unicode=True))
    assert any(message in line for line in refused.value.errors), refused.value.errors
    assert not Case.objects.exists() and not Diagnosis.objects.exists()
