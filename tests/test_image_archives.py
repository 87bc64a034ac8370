"""Case files with images: export_cases --format zip, and import_cases of such a zip, all or nothing."""

import io
import zipfile

import pytest
import yaml
from django.core.management import CommandError, call_command

from cases.casefiles import CaseFileError, export_cases, import_cases
from cases.models import Case, Diagnosis, PrimaryTumour
from imaging.archive import export_archive, import_archive
from imaging.models import Annotation, Frame, ImageFile, ImageSeries
from imaging.phantom import MARKER, phantom_series
from imaging.services import add_series, attach_annotated_copy, process_series

from .factories import make_case

pytestmark = pytest.mark.django_db


def _png(width=48, height=32):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), "gray").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def case():
    case = make_case(title="Woman with back pain and a lumbar CT")
    finding = case.findings.get()
    series = add_series(
        finding=finding,
        files=phantom_series(frames=3, size=32),
        caption="Sagittal CT",
        alt_text="Sagittal CT of the lumbar spine",
        answer_caption="The dark focus.",
    )
    process_series(series.pk)
    frame = series.frames.get(index=1)
    frame.answer_caption = "Look here."
    frame.save()
    Annotation.objects.create(frame=frame, shape="arrow", x1=0.1, y1=0.2, x2=0.3, y2=0.4, label="focus")
    attach_annotated_copy(frame, "marked.png", _png())
    held = add_series(finding=finding, files=[("photo.png", _png())], caption="Photograph")
    process_series(held.pk)
    return case


def empty_database():
    Case.objects.all().delete()
    Diagnosis.objects.update(broader=None)
    Diagnosis.objects.all().delete()
    PrimaryTumour.objects.all().delete()


def process_all():
    for series in ImageSeries.objects.filter(status=ImageSeries.Status.PROCESSING):
        process_series(series.pk)


def test_export_import_into_an_empty_database_export_gives_the_same_bytes(case):
    first = export_archive()
    names = zipfile.ZipFile(io.BytesIO(first)).namelist()
    assert names[:2] == ["cases.yaml", "images.yaml"] and sum(n.endswith(".dcm") for n in names) == 3
    assert MARKER.encode() not in first  # the planted identifiers never reach a file
    empty_database()
    assert ImageSeries.objects.count() == 0
    result = import_archive(data=first)
    process_all()
    assert (result.series, result.frames) == (2, 4)
    assert dict(ImageSeries.objects.values_list("caption", "status")) == {
        "Sagittal CT": ImageSeries.Status.READY,
        "Photograph": ImageSeries.Status.HELD,  # still waiting for an editor's check
    }
    assert Annotation.objects.get().label == "focus"
    assert ImageFile.objects.filter(kind=ImageFile.Kind.ANNOTATED).exists()
    assert export_archive() == first


def test_an_archive_with_a_bad_image_changes_nothing(case):
    archive = export_archive()
    before = (export_cases(), ImageSeries.objects.count(), Frame.objects.count())
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".dcm") and "cut" not in target.namelist():
                data = data[:-2000]  # truncated
            if info.filename == "cases.yaml":
                data = data.replace(b"Woman with back pain", b"Woman with a changed title")
            target.writestr(info, data)
    with pytest.raises(CaseFileError) as refused:
        import_archive(data=broken.getvalue())
    assert any("truncated" in line for line in refused.value.errors)
    assert (export_cases(), ImageSeries.objects.count(), Frame.objects.count()) == before


def test_a_yaml_file_may_not_delete_a_case_s_images(case):
    text = export_cases().replace("Woman with back pain", "Woman with a changed title")
    with pytest.raises(CaseFileError, match="has images, which this file does not carry"):
        import_cases(text=text)
    assert Case.objects.filter(title__startswith="Woman with back pain").exists()


def test_the_commands_write_and_read_archives(case, tmp_path):
    path = tmp_path / "cases.zip"
    call_command("export_cases", "--format", "zip", "--output", str(path))
    out = io.StringIO()
    call_command("import_cases", str(path), "--dry-run", stdout=out)
    assert "Would import 2 image series (4 frames)." in out.getvalue()
    with pytest.raises(CommandError, match="--output"):
        call_command("export_cases", "--format", "zip")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("import_cases", str(tmp_path / "bad.zip"))


@pytest.mark.parametrize(("where", "text"), [("caption_fr", "Métastase IDEM"), ("frame", "IDEM metastases")])
def test_an_archive_whose_image_texts_name_the_answer_is_refused_whole(case, where, text):
    """A caption or alt text, in either language, is shown before the reveal: an archive must not name the answer."""
    archive = export_archive()
    before = (export_cases(), ImageSeries.objects.count())
    spoiled = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(spoiled, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "images.yaml":
                manifest = yaml.safe_load(data)
                if where == "frame":
                    manifest[0]["frames"][1]["alt_text_fr"] = text
                else:
                    manifest[0][where] = text
                data = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False).encode()
            target.writestr(info, data)
    with pytest.raises(CaseFileError) as refused:
        import_archive(data=spoiled.getvalue())
    assert any("must not name the answer" in line for line in refused.value.errors), refused.value.errors
    assert (export_cases(), ImageSeries.objects.count()) == before
