"""Images: the less travelled paths — odd DICOM, zips, failures, serving through nginx, the admin's
hold and annotated copies, and archives with mistakes in them."""

import io
import zipfile

import numpy as np
import pydicom
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from cases.casefiles import CaseFileError
from imaging.archive import export_archive, import_archive
from imaging.models import Frame, ImageFile, ImageSeries
from imaging.phantom import phantom_series
from imaging.processing import Refused, expand, pictures, prepare
from imaging.services import add_series, delete_unused_files, process_series

from .factories import make_case

pytestmark = pytest.mark.django_db


def dicom(modify, frames=1, size=32):
    name, data = phantom_series(frames=frames, size=size, plant=False)[0]
    dataset = pydicom.dcmread(io.BytesIO(data))
    modify(dataset)
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return name, out.getvalue()


def png(mode="RGBA", size=(24, 16)):
    out = io.BytesIO()
    Image.new(mode, size).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def finding():
    return make_case(title="Woman with back pain and a lumbar CT").findings.get()


def test_dicom_files_that_cannot_be_shown_are_refused_with_their_reason():
    def no_pixels(ds):
        del ds.PixelData

    def no_rows(ds):
        ds.Rows = 0

    cases = {
        "without an image": no_pixels,
        "pixels per frame": no_rows,
    }
    for reason, modify in cases.items():
        with pytest.raises(Refused, match=reason):
            prepare([dicom(modify)])
    with pytest.raises(Refused, match="not a readable DICOM"):
        prepare([("x.dcm", b"\x00" * 128 + b"DICM" + b"\xff" * 20)])


def test_screen_captures_and_marked_files_are_held():
    ultrasound = prepare([dicom(lambda ds: (setattr(ds, "Modality", "US"), delattr(ds, "BurnedInAnnotation")))])
    assert "US image" in ultrasound.held_reason
    marked = prepare([dicom(lambda ds: setattr(ds, "BurnedInAnnotation", "YES"))])
    assert "burned into its pixels" in marked.held_reason


def test_other_pictures_are_converted_without_metadata():
    for mode in ("RGBA", "P", "CMYK", "L"):
        image = Image.new(mode, (10, 8))
        out = io.BytesIO()
        image.save(out, format="JPEG" if mode == "CMYK" else "PNG")
        (frame,) = prepare([(f"p.{mode}", out.getvalue())]).frames
        assert Image.open(io.BytesIO(frame.data)).mode in ("L", "RGB")
    with pytest.raises(Refused, match="truncated or damaged"):
        prepare([("cut.png", png(size=(300, 200))[:70])])


def test_zips_are_bounded(monkeypatch):
    from imaging import processing

    with pytest.raises(Refused, match="No file"):
        prepare([])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.png", png())
        archive.writestr("b.png", png())
    monkeypatch.setattr(processing, "MAX_FILES", 1)
    with pytest.raises(Refused, match="More than 1 files"):
        expand([("two.zip", out.getvalue())])
    monkeypatch.setattr(processing, "MAX_FILES", 1000)
    monkeypatch.setattr(processing, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(Refused, match="upload limit once unpacked"):
        expand([("two.zip", out.getvalue())])


def test_monochrome1_multiframe_and_colour_dicom_render(finding, settings):
    def multiframe_inverted(ds):
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.NumberOfFrames = 2
        ds.PixelData = ds.PixelData * 2
        del ds.WindowCenter, ds.WindowWidth
        ds.Modality = "MR"

    series = add_series(finding=finding, files=[dicom(multiframe_inverted)])
    process_series(series.pk)
    series.refresh_from_db()
    assert series.status == ImageSeries.Status.READY and series.frames.count() == 2
    assert not ImageFile.objects.filter(frame__series=series).exclude(preset="").exists()  # MR: no CT windows

    def colour(ds):
        ds.PhotometricInterpretation, ds.SamplesPerPixel, ds.PlanarConfiguration = "RGB", 3, 0
        ds.BitsAllocated = ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelData = np.zeros((32, 32, 3), dtype=np.uint8).tobytes()
        ds.Modality = "XC"
        ds.BurnedInAnnotation = "NO"

    frame = add_series(finding=finding, files=[dicom(colour)]).frames.get()
    assert pictures(frame)[""].mode == "RGB"


def test_a_frame_that_cannot_be_rendered_fails_its_series_visibly(finding):
    series = add_series(finding=finding, files=phantom_series(frames=2, size=32, plant=False))
    frame = series.frames.first()
    with default_storage.open(frame.source.name, "wb") as handle:
        handle.write(b"broken")
    process_series(series.pk)
    series.refresh_from_db()
    assert series.status == ImageSeries.Status.FAILED and series.error
    assert not ImageFile.objects.filter(frame__series=series).exists()
    process_series(series.pk)  # a failed or finished series is not processed again
    process_series(10**9)  # nor one deleted before its turn


def test_unused_files_are_removed_and_used_ones_kept(finding):
    series = add_series(finding=finding, files=phantom_series(frames=2, size=32, plant=False))
    process_series(series.pk)
    kept = ImageFile.objects.first().name
    default_storage.save("images/orphan.webp", io.BytesIO(b"x"))
    default_storage.save("image-sources/orphan.dcm", io.BytesIO(b"x"))
    assert delete_unused_files() >= 2  # the media folder is shared by the whole test run
    assert default_storage.exists(f"images/{kept}") and not default_storage.exists("images/orphan.webp")


def test_nginx_sends_the_file_after_the_check(client, finding, settings):
    series = add_series(finding=finding, files=phantom_series(frames=1, size=32, plant=False))
    process_series(series.pk)
    file = ImageFile.objects.first()
    settings.IMAGES_ACCEL_REDIRECT = "/protected-images/"
    response = client.get(file.get_absolute_url())
    assert response.status_code == 200 and response["X-Accel-Redirect"] == f"/protected-images/{file.name}"
    settings.IMAGES_ACCEL_REDIRECT = ""
    default_storage.delete(f"images/{file.name}")
    assert client.get(file.get_absolute_url()).status_code == 404


def test_held_and_failed_series_in_the_admin(admin_client, finding):
    held = add_series(finding=finding, files=[("photo.png", png())], caption="Photo")
    process_series(held.pk)
    listing = admin_client.get("/admin/imaging/imageseries/").content.decode()
    assert "Held:" in listing and "Confirm: no text in the pixels" in listing
    response = admin_client.post(
        "/admin/imaging/imageseries/", {"action": "confirm_checked", "_selected_action": [held.pk]}, follow=True
    )
    assert "1 series released." in response.content.decode()
    held.refresh_from_db()
    assert held.status == ImageSeries.Status.READY
    # A series' page lists its frames and links each to its annotation page.
    page = admin_client.get(held.get_admin_url()).content.decode()
    frame = held.frames.get()
    assert f"/admin/imaging/frame/{frame.pk}/change/" in page
    frame_page = admin_client.get(f"/admin/imaging/frame/{frame.pk}/change/").content.decode()
    assert f'href="{held.get_admin_url()}"' in frame_page  # back to its series
    assert 'rows="2"' in page  # the series page's frame rows stay small
    # The frame page takes an annotated copy and refuses a bad one.
    upload = io.BytesIO(png(mode="RGB"))
    upload.name = "marked.png"
    data = {
        "caption_en": "",
        "alt_text_en": "",
        "answer_caption_en": "",
        "annotated_copy": upload,
        "annotations-TOTAL_FORMS": 0,
        "annotations-INITIAL_FORMS": 0,
    }
    assert admin_client.post(f"/admin/imaging/frame/{frame.pk}/change/", data).status_code == 302
    assert ImageFile.objects.filter(frame=frame, kind=ImageFile.Kind.ANNOTATED).exists()
    bad = io.BytesIO(b"not an image")
    bad.name = "marked.png"
    response = admin_client.post(
        f"/admin/imaging/frame/{frame.pk}/change/", data | {"annotated_copy": bad}, follow=True
    )
    assert "not a PNG, JPEG, WebP or DICOM" in response.content.decode()


def test_an_archive_with_mistakes_lists_every_one_and_changes_nothing(finding):
    series = add_series(finding=finding, files=phantom_series(frames=1, size=32, plant=False))
    process_series(series.pk)
    good = export_archive()
    with zipfile.ZipFile(io.BytesIO(good)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    manifest = (
        "- {case: no-such-case, finding: 1, frames: []}\n"
        f"- case: {finding.case.slug}\n  finding: 1\n  caption: [not, text]\n"
        "  frames: [{index: one, source: images/missing.dcm, annotations: [{shape: star, x1: 2, y1: 0}]}]\n"
        f"- case: {finding.case.slug}\n  finding: 1\n"
        "  frames: [{index: 1, source: images/missing.dcm, annotations: 3}]\n"
        f"- case: {finding.case.slug}\n  finding: 1\n  frames: [{{index: 1, source: images/missing.dcm}}]\n"
    )

    def archive(**changes):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for name, data in (members | changes).items():
                if data is not None:
                    target.writestr(name, data)
        return out.getvalue()

    with pytest.raises(CaseFileError) as refused:
        import_archive(data=archive(**{"images.yaml": manifest.encode()}))
    text = "\n".join(refused.value.errors)
    for expected in (
        "not in cases.yaml",
        "caption: give text",
        "each needs an index",
        "not in the archive",
        "an annotation needs a shape",
        "annotations: give a list",
    ):
        assert expected in text, expected
    for broken, message in (
        ({"cases.yaml": None}, "has no cases.yaml"),
        ({"images.yaml": b"{not: [a list"}, "not valid YAML"),
        ({"images.yaml": b"a: mapping"}, "must be a list"),
        ({"images.yaml": b"- " + b"[" * 12 + b"]" * 12}, "must be a list"),
    ):
        with pytest.raises(CaseFileError, match=message):
            import_archive(data=archive(**broken))
    with pytest.raises(CaseFileError, match="cannot be read"):
        import_archive(data=b"PK\x03\x04 not a zip")
    assert ImageSeries.objects.count() == 1 and Frame.objects.count() == 1
