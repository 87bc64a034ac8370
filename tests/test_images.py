"""Images: uploads checked and de-identified before anything is stored, frames shown before the
reveal, teaching captions, annotations and annotated copies only after it, files served only to
whom may see them."""

import io
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGBaseline8Bit

from cases.models import Case
from imaging import services
from imaging.models import Annotation, Frame, ImageFile, ImageSeries
from imaging.phantom import MARKER, MARKER_DATE, MARKER_UID_ROOT, phantom_series
from imaging.processing import MAX_PIXELS, Refused, prepare
from imaging.services import add_series, attach_annotated_copy, confirm_no_burned_in_text

from .factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rendered_at_once(monkeypatch, django_capture_on_commit_callbacks):
    """A series is queued once its transaction commits; the test's transaction never does, so the
    commit callbacks run as each upload ends (and the queue runs at once: ImmediateBackend)."""

    def upload(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(**kwargs)

    original = services.add_series
    monkeypatch.setattr(sys.modules[__name__], "add_series", upload)


PLANTED = [MARKER.encode(), MARKER_DATE.encode(), MARKER_UID_ROOT.encode()]


def stored_bytes():
    """Every byte under MEDIA_ROOT, file by file."""
    root = Path(settings.MEDIA_ROOT)
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def database_text():
    """Every row of the image tables, as text."""
    rows = []
    for model in (ImageSeries, Frame, ImageFile, Annotation):
        rows += [str(row) for row in model.objects.values()]
    return "\n".join(rows)


@pytest.fixture
def case():
    return make_case(title="Woman with back pain and a CT of the lumbar spine")


@pytest.fixture
def series(case):
    finding = case.findings.get()
    return add_series(
        finding=finding,
        files=phantom_series(frames=6, size=128),
        caption="Sagittal CT",
        alt_text="Sagittal CT of the lumbar spine",
        answer_caption="Teaching: the lytic focus in the second body",
    )


def test_a_dicom_series_is_stored_de_identified_and_rendered(series):
    series.refresh_from_db()
    assert series.status == ImageSeries.Status.READY
    assert series.frames.count() == 6 and series.frames_done == 6
    assert "PS3.15 Annex E" in series.deidentification
    # Each frame in three windows (as acquired, soft tissue, bone), at 128 px (its own width).
    assert ImageFile.objects.filter(frame__series=series).count() == 6 * 3
    files = stored_bytes()
    assert any(path.suffix == ".dcm" for path in files) and any(path.suffix == ".webp" for path in files)
    for path, data in files.items():
        for planted in PLANTED:
            assert planted not in data, (path.name, planted)
    text = database_text()
    assert not any(planted.decode() in text for planted in PLANTED)
    # UIDs replaced consistently within the series: one new study and series UID for every frame.
    import pydicom

    sources = [pydicom.dcmread(frame.source.path) for frame in series.frames.all()]
    assert len({ds.SeriesInstanceUID for ds in sources}) == len({ds.StudyInstanceUID for ds in sources}) == 1
    assert len({ds.SOPInstanceUID for ds in sources}) == 6
    assert sources[0].PatientIdentityRemoved == "YES" and "PS3.15" in sources[0].DeidentificationMethod


def test_no_served_response_carries_a_planted_identifier(client, admin_client, case, series):
    pages = [case.get_absolute_url(), case.get_answer_url(), "/"]
    responses = [client.get(path).content for path in pages]
    responses += [admin_client.get(series.get_admin_url()).content]
    for file in ImageFile.objects.filter(frame__series=series):
        responses.append(b"".join(client.get(file.get_absolute_url()).streaming_content))
    for body in responses:
        assert not any(planted in body for planted in PLANTED)


def test_the_marker_is_in_the_upload_so_the_check_above_can_fail():
    data = b"".join(data for _, data in phantom_series(frames=1, size=32))
    assert all(planted in data for planted in PLANTED)


def test_the_case_page_shows_frames_but_nothing_answer_side(client, case, series):
    frame = series.frames.first()
    frame.answer_caption = "Teaching: a lytic focus"
    frame.save()
    Annotation.objects.create(frame=frame, shape="arrow", x1=0.2, y1=0.2, x2=0.4, y2=0.35, label="lytic focus")
    attach_annotated_copy(frame, "marked.png", _png(64, 64))
    annotated = ImageFile.objects.get(frame=frame, kind=ImageFile.Kind.ANNOTATED)

    before = client.get(case.get_absolute_url()).content.decode()
    assert before.count('class="stack__frame"') == 6
    assert "Sagittal CT of the lumbar spine (frame 1 of 6)" in before
    for secret in ("Teaching:", "lytic focus", annotated.name, "stack__annotations"):
        assert secret not in before
    # The answer-side file is refused without the key that only answer pages hand out.
    assert "key=" in annotated.get_absolute_url()
    assert client.get(annotated.get_absolute_url().split("?")[0]).status_code == 404
    assert client.get(annotated.get_absolute_url()[:-3] + "xyz").status_code == 404

    after = client.get(case.get_answer_url()).content.decode()
    for shown in ("Teaching: the lytic focus in the second body", "Teaching: a lytic focus", "lytic focus"):
        assert shown in after
    assert annotated.get_absolute_url().replace("&", "&amp;") in after and "stack__annotations" in after
    response = client.get(annotated.get_absolute_url())
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, no-store"


def test_presentation_frames_are_public_and_cached_for_long(client, series):
    file = ImageFile.objects.filter(frame__series=series).first()
    response = client.get(file.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"RIFF"
    assert response["Cache-Control"].startswith("public, max-age=31536000")


def test_a_draft_case_images_are_not_found_for_residents(client, admin_client, case, series):
    case.status = Case.Status.DRAFT
    case.save()
    file = ImageFile.objects.filter(frame__series=series).first()
    assert client.get(file.get_absolute_url()).status_code == 404
    assert admin_client.get(file.get_absolute_url()).status_code == 200
    assert client.get("/images/not-a-file.webp").status_code == 404


def test_a_held_case_images_show_only_to_faculty_and_the_residents_it_was_served_to(client, case, series):
    from django.contrib.auth.models import Permission, User

    from cases.editorial import hold_case
    from quiz.models import Question, QuizRun

    hold_case(case=case, by=None)
    url = next(row for row in ImageFile.objects.filter(frame__series=series) if not row.is_answer_side)
    url = url.get_absolute_url()
    assert client.get(url).status_code == 404  # anonymous
    resident, other = User.objects.create_user("served"), User.objects.create_user("other")
    client.force_login(other)
    assert client.get(url).status_code == 404
    run = QuizRun.objects.create(user=resident, mode="exam")
    Question.objects.create(run=run, position=1, case=case)
    client.force_login(resident)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    faculty = User.objects.create_user("faculty")
    faculty.user_permissions.add(Permission.objects.get(codename="view_held_case"))
    client.force_login(faculty)
    assert client.get(url).status_code == 200


def test_a_quiz_question_shows_frames_and_the_reveal_the_answer_side(client, case, series):
    response = client.post("/quiz/", {"count": 1, "mode": "practice", "answer_format": "free_text"})
    question = response["Location"]
    html = client.get(question).content.decode()
    assert 'class="stack__frame"' in html and "Teaching:" not in html
    client.post(question, {"answer": "Schwannoma"})
    reveal = client.get(question.rstrip("/") + "/reveal/").content.decode()
    assert "Teaching: the lytic focus in the second body" in reveal


def test_queries_do_not_grow_with_frames(client, case):
    finding = case.findings.get()
    client.get(case.get_answer_url())  # the session that records the reveal exists from now on
    add_series(finding=finding, files=phantom_series(frames=1, size=32, plant=False))
    with CaptureQueriesContext(connection) as one:
        client.get(case.get_answer_url())
    add_series(finding=finding, files=phantom_series(frames=12, size=32, plant=False))
    with CaptureQueriesContext(connection) as many:
        assert client.get(case.get_answer_url()).content.decode().count('class="stack__frame"') == 13
    assert len(one.captured_queries) == len(many.captured_queries)


def _png(width, height, mode="L", **save):
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, format="PNG", **save)
    return out.getvalue()


def _jpeg_with_gps():
    image = Image.new("RGB", (40, 30), "gray")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker ZZPHIMARKER"  # Make
    exif[0x9003] = "2019:01:02 03:04:05"  # DateTimeOriginal
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_picture_is_re_encoded_without_metadata_and_held_until_checked(client, case):
    upload = _jpeg_with_gps()
    assert b"ZZPHIMARKER" in upload
    series = add_series(finding=case.findings.get(), files=[("photo.jpg", upload)])
    series.refresh_from_db()
    assert series.status == ImageSeries.Status.HELD and "screenshot" in series.held_reason
    for data in stored_bytes().values():
        assert b"ZZPHIMARKER" not in data and b"2019:01:02" not in data and b"Exif" not in data
    assert 'class="stack__frame"' not in client.get(case.get_absolute_url()).content.decode()
    confirm_no_burned_in_text(series)
    assert 'class="stack__frame"' in client.get(case.get_absolute_url()).content.decode()


def _truncated_dicom():
    name, data = phantom_series(frames=1, size=64, plant=False)[0]
    return name, data[: len(data) - 3000]


def _compressed_dicom():
    import pydicom

    name, data = phantom_series(frames=1, size=64, plant=False)[0]
    dataset = pydicom.dcmread(io.BytesIO(data))
    dataset.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    jpeg = io.BytesIO()
    Image.new("L", (64, 64)).save(jpeg, format="JPEG")
    dataset.PixelData = encapsulate([jpeg.getvalue()])
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 8, 8, 7
    out = io.BytesIO()
    dataset.save_as(out)
    return "jpeg.dcm", out.getvalue()


BAD_UPLOADS = {
    "renamed executable": (("setup.png", b"MZ\x90\x00" + b"\x00" * 200), "not a PNG, JPEG, WebP or DICOM"),
    "svg": (("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "not a PNG"),
    "decompression bomb": (("bomb.png", _png(8000, 6000, mode="1")), "pixels"),
    "truncated dicom": (_truncated_dicom(), "truncated"),
    "compressed dicom": (_compressed_dicom(), "compressed DICOM"),
    "gif": (("anim.gif", b"GIF89a" + b"\x01\x00\x01\x00\x00\x00\x00;"), "not a PNG"),
}


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_a_bad_upload_is_refused_with_its_name_and_reason_and_nothing_is_stored(case, kind):
    (name, data), reason = BAD_UPLOADS[kind]
    before = stored_bytes()
    good = phantom_series(frames=2, size=32, plant=False)
    with pytest.raises(Refused) as refused:
        add_series(finding=case.findings.get(), files=[*good, (name, data)])
    assert len(refused.value.messages) == 1
    message = refused.value.messages[0]
    assert message.startswith(name) and reason in message, message
    assert ImageSeries.objects.count() == Frame.objects.count() == 0
    assert stored_bytes() == before


def test_the_pixel_limit_is_what_the_bomb_test_exceeds():
    assert 8000 * 6000 > MAX_PIXELS > 1024 * 1024


def test_a_zip_of_a_series_is_one_series(case):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in phantom_series(frames=3, size=32, plant=False):
            archive.writestr(f"series/{name}", data)
        archive.writestr("__MACOSX/._junk", b"junk")
    series = add_series(finding=case.findings.get(), files=[("series.zip", out.getvalue())])
    assert series.frames.count() == 3


def test_an_editor_uploads_a_series_in_the_admin_and_sees_its_progress(
    editor_client, case, django_capture_on_commit_callbacks
):
    finding = case.findings.get()
    form = editor_client.get(f"/admin/imaging/imageseries/add/?finding={finding.pk}").content.decode()
    assert f'value="{finding.pk}"' in form  # the finding comes filled in from the case's page
    files = [io.BytesIO(data) for _, data in phantom_series(frames=3, size=32)]
    for file, (name, _) in zip(files, phantom_series(frames=3, size=32), strict=True):
        file.name = name
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            "/admin/imaging/imageseries/add/",
            {"finding": finding.pk, "caption_en": "Sagittal CT", "alt_text_en": "Sagittal CT", "files": files},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    series = ImageSeries.objects.get()
    assert (series.status, series.frames.count()) == (ImageSeries.Status.READY, 3)
    page = editor_client.get(series.get_admin_url()).content.decode()
    assert "Ready" in page and "PS3.15 Annex E" in page
    case_page = editor_client.get(f"/admin/cases/case/{case.pk}/change/").content.decode()
    assert "Add images to this finding" in case_page and "Sagittal CT" in case_page


@pytest.mark.parametrize("field", ["caption_en", "caption_fr", "alt_text_fr", "technique_fr"])  # either language
def test_a_caption_naming_the_answer_is_refused_and_nothing_is_stored(editor_client, case, field):
    finding = case.findings.get()
    upload = io.BytesIO(phantom_series(frames=1, size=32)[0][1])
    upload.name = "one.dcm"
    data = {"finding": finding.pk, "caption_en": "Sagittal", "alt_text_en": "Sagittal CT", "files": [upload]}
    response = editor_client.post("/admin/imaging/imageseries/add/", data | {field: "IDEM metastases at L1"})
    html = response.content.decode()
    assert response.status_code == 200 and "must not name the answer" in html
    assert "IDEM metastases at L1" in html  # what the editor typed is kept
    assert ImageSeries.objects.count() == 0


def test_an_upload_refusal_is_shown_on_the_form(editor_client, case):
    upload = io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    upload.name = "diagram.svg"
    response = editor_client.post(
        "/admin/imaging/imageseries/add/",
        {"finding": case.findings.get().pk, "caption_en": "Sagittal", "files": [upload]},
    )
    assert "diagram.svg: not a PNG, JPEG, WebP or DICOM file." in response.content.decode()
    assert ImageSeries.objects.count() == 0


def test_publishing_checks_image_captions_too(case, series, editor):
    from cases.editorial import PublishRefused, publish_case

    case.status = Case.Status.DRAFT
    case.save()
    frame = series.frames.first()
    Frame.objects.filter(pk=frame.pk).update(alt_text="An intradural extramedullary metastasis at L1")
    with pytest.raises(PublishRefused, match="frame 1: alt text"):
        publish_case(case=case, by=editor)


def test_add_images_from_the_command_line(case, tmp_path, capsys):
    from django.core.management import CommandError, call_command

    call_command("make_phantom", str(tmp_path), "--frames", "3", "--size", "32")
    files = sorted(str(path) for path in tmp_path.glob("*.dcm"))
    call_command("add_images", case.slug, *files, "--caption", "Sagittal CT", "--wait")
    out = capsys.readouterr().out
    assert "3 frames, Ready" in out and "PS3.15" in out
    assert ImageSeries.objects.get().frames.count() == 3
    bad = tmp_path / "notes.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(CommandError, match="notes.png: not a PNG"):
        call_command("add_images", case.slug, str(bad))
    with pytest.raises(CommandError, match="No case"):
        call_command("add_images", "no-such-case", *files)


def test_a_twenty_frame_stack_stays_light(client, case):
    """The case page's HTML within 30 KB, and the first frame on screen after at most 150 KB: the
    page, its stylesheet and scripts, and the first frame's default rendition."""
    import re

    from django.contrib.staticfiles import finders

    add_series(finding=case.findings.get(), files=phantom_series(frames=20, size=512, plant=False))
    html = client.get(case.get_absolute_url()).content
    assert len(html) < 30 * 1024, len(html)
    assets = sum(
        Path(finders.find(path)).stat().st_size
        for path in re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
        for path in [path.decode()]
    )
    first = re.search(rb'<img src="(/images/[^"]+)"', html).group(1).decode()
    image = b"".join(client.get(first).streaming_content)
    assert len(html) + assets + len(image) < 150 * 1024, (len(html), assets, len(image))


def test_the_case_list_shows_a_key_image_once_a_series_is_shown(client, case):
    assert "card__thumb" not in client.get("/").content.decode()
    series = add_series(finding=case.findings.get(), files=[("photo.png", _png(300, 200))])  # held: a picture
    assert "card__thumb" not in client.get("/").content.decode()
    confirm_no_burned_in_text(series)
    html = client.get("/").content.decode()
    case.refresh_from_db()
    assert case.key_image and f'src="/images/{case.key_image}"' in html
    series.delete()
    assert "card__thumb" not in client.get("/").content.decode()


@given(
    name=st.text(min_size=1, max_size=40),
    data=st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda head, tail: head + tail,
            st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF", b"PK\x03\x04", b"\x00" * 128 + b"DICM"]),
            st.binary(max_size=1024),
        ),
    ),
)
@hypothesis_settings(max_examples=150, deadline=None)
def test_no_upload_makes_anything_but_a_refusal_or_frames(name, data):
    """Whatever bytes arrive, under whatever name: a clean refusal naming the file, or cleaned frames."""
    try:
        prepared = prepare([(name, data)])
    except Refused as refused:
        assert refused.messages and all(message for message in refused.messages)
    else:
        assert all(frame.data != data for frame in prepared.frames)  # never the bytes as uploaded


def test_a_case_without_images_says_why_and_links_its_source_only_after_the_reveal(client, case):
    reference = case.references.get(is_source=True)
    reference.doi = "10.1000/figures-of-the-source"
    reference.save()
    before = client.get(case.get_absolute_url()).content.decode()
    assert "No images are shown: the source's figures are not licensed for reuse here" in before
    assert "figures-of-the-source" not in before  # the source's page would give the answer away
    after = client.get(case.get_answer_url()).content.decode()
    assert "can be seen through its link below" in after and "figures-of-the-source" in after


@pytest.mark.parametrize("field", ["caption_en", "caption_fr", "alt_text_fr"])
def test_a_frame_row_on_the_series_page_naming_the_answer_is_refused(editor_client, series, field):
    """The series page's frame rows go through the spoiler rule too, in either language."""
    frames = list(series.frames.order_by("index"))
    data = {
        "finding": series.finding_id,
        "order": series.order,
        "modality": series.modality,
        "plane": series.plane,
        "caption_en": series.caption_en,
        "alt_text_en": series.alt_text_en or "",
        "frames-TOTAL_FORMS": len(frames),
        "frames-INITIAL_FORMS": len(frames),
        "frames-MIN_NUM_FORMS": 0,
        "frames-MAX_NUM_FORMS": 1000,
    }
    for i, frame in enumerate(frames):
        data |= {f"frames-{i}-id": frame.pk, f"frames-{i}-series": series.pk}
    data[f"frames-0-{field}"] = "IDEM metastases at L1"
    response = editor_client.post(series.get_admin_url(), data)
    assert response.status_code == 200 and "must not name the answer" in response.content.decode()
    frames[0].refresh_from_db()
    assert getattr(frames[0], field) in (None, "")
