"""Images in a real browser: an editor uploads the phantom series and annotates a frame in the admin;
a resident scrolls the stack with the keyboard, zooms, reveals, and toggles the annotations."""

import re
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from imaging.models import Annotation, ImageSeries
from imaging.phantom import phantom_series
from imaging.services import add_series

from .factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-enough-passphrase"


@pytest.fixture
def case():
    return make_case(title="Woman with low back pain and a lumbar CT")


@pytest.fixture
def series(case):
    series = add_series(
        finding=case.findings.get(),
        files=phantom_series(frames=6, size=128, plant=False),
        caption="Sagittal CT",
        alt_text="Sagittal CT of the lumbar spine",
        answer_caption="Teaching: the small dark focus in the second body",
    )
    frame = series.frames.get(index=1)
    Annotation.objects.create(frame=frame, shape="ellipse", x1=0.42, y1=0.37, x2=0.05, y2=0.05, label="lytic focus")
    return series


def test_a_resident_scrolls_zooms_reveals_and_toggles_the_annotations(live_server, page, case, series):
    page.goto(live_server.url + case.get_absolute_url())
    counter = page.locator(".stack__counter")
    expect(counter).to_have_text("Frame 1 of 6")
    assert page.locator(".stack__annotations").count() == 0  # nothing answer-side before the reveal
    page.locator(".stack__strip").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(counter).to_have_text("Frame 3 of 6")
    page.keyboard.press("End")
    expect(counter).to_have_text("Frame 6 of 6")
    page.keyboard.press("Home")
    page.keyboard.press("+")
    transform = page.locator(".stack__frame:not([hidden]) .stack__picture").evaluate("e => e.style.transform")
    assert "scale(1.25)" in transform
    page.get_by_role("button", name="Reset view").click()
    page.select_option("select[name=window]", label="bone")
    assert "/images/" in page.locator(".stack__frame >> nth=0").locator("img").get_attribute("srcset")

    page.keyboard.press("r")  # the reveal, in place
    page.wait_for_selector("#answer")
    expect(page.locator(".stack__teaching").first).to_contain_text("Teaching: the small dark focus")
    annotations = page.locator(".stack__annotations").first
    expect(annotations).to_be_hidden()  # until the resident asks for them
    page.locator("body").press("a")
    expect(annotations).to_be_visible()
    expect(page.get_by_role("button", name="Hide annotations")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Hide annotations").click()
    expect(annotations).to_be_hidden()


def test_without_javascript_the_frames_are_a_strip_of_links(live_server, browser, case, series):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + case.get_absolute_url())
    assert page.locator(".stack__frame").count() == 6
    assert page.locator(".stack__frame:visible").count() == 6
    href = page.locator(".stack__link >> nth=0").get_attribute("href")
    assert page.goto(live_server.url + href).status == 200
    context.close()


def test_an_editor_uploads_the_phantom_and_annotates_a_frame(live_server, page, case, tmp_path):
    import_module("cases.migrations.0003_editor_and_resident_groups").make_groups(django_apps)
    import_module("imaging.migrations.0002_editors_manage_images").add_to_editors(django_apps)
    editor = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    paths = []
    for name, data in phantom_series(frames=4, size=96):
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))

    page.goto(live_server.url + f"/admin/cases/case/{case.pk}/change/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.locator("form [type=submit]").click()
    page.get_by_role("link", name="Add images to this finding").click()
    page.fill("#id_caption_en", "Sagittal CT")
    page.fill("#id_alt_text_en", "Sagittal CT of the lumbar spine")
    page.set_input_files("#id_files", paths)
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_text("was added successfully").wait_for()
    series = ImageSeries.objects.get()
    assert series.status == ImageSeries.Status.READY and series.frames.count() == 4
    expect(page.locator(".field-status_and_progress")).to_contain_text("Ready")

    page.get_by_role("link", name=re.compile(r"Annotate \(0\)")).first.click()
    box = page.locator("[data-annotator]")
    box.wait_for()
    area = box.bounding_box()
    page.mouse.move(area["x"] + area["width"] * 0.3, area["y"] + area["height"] * 0.3)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.5, area["y"] + area["height"] * 0.45)
    page.mouse.up()
    assert page.input_value("#id_annotations-0-shape") == "arrow"
    page.fill("#id_annotations-0-label_en", "focus")
    box.focus()  # the keyboard: an ellipse from the cross's start to its end
    page.select_option("#id_annotations-1-shape", "ellipse")
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("was changed successfully").wait_for()
    shapes = sorted(Annotation.objects.values_list("shape", flat=True))
    assert shapes == ["arrow", "ellipse"]
    arrow = Annotation.objects.get(shape="arrow")
    assert 0.25 < arrow.x1 < 0.35 and 0.45 < arrow.x2 < 0.55 and arrow.label == "focus"
