"""Storing an uploaded series, and rendering it (called by the task), in one place for the admin,
add_images and case files."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Max
from PIL import Image

from .models import Frame, ImageFile, ImageSeries
from .processing import pictures, prepare, prepare_raster, source_name, storage_path, store_renditions

SOURCE_DIR = "image-sources"


def add_series(*, finding, files, **fields):
    """A new series on `finding` from [(name, bytes)]: checked and de-identified whole, then stored
    in one transaction and queued for rendering. Raises processing.Refused with nothing stored."""
    return store_series(finding=finding, prepared=prepare(files), **fields)


def store_series(*, finding, prepared, **fields):
    """Store a PreparedSeries (already de-identified) on `finding` and queue its rendering."""
    saved = []
    try:
        with transaction.atomic():
            order = (finding.series.aggregate(last=Max("order"))["last"] or 0) + 1
            series = ImageSeries.objects.create(
                finding=finding,
                order=fields.pop("order", None) or order,
                frames_expected=len(prepared.frames),
                deidentification=prepared.deidentification,
                held_reason=prepared.held_reason,
                **fields,
            )
            frames = []
            for index, item in enumerate(prepared.frames, start=1):
                path, new = save_source(item.data, item.kind)
                saved += [path] if new else []
                frames.append(Frame(series=series, index=index, source=path, source_frame=item.frame_number))
            Frame.objects.bulk_create(frames)
            transaction.on_commit(lambda: queue(series.pk))
    except Exception:
        for path in saved:
            default_storage.delete(path)
        raise
    return series


def save_source(data, kind):
    """(storage name, whether it was new) for a cleaned source, stored once under its content hash."""
    path = f"{SOURCE_DIR}/{source_name(data, kind)}"
    if default_storage.exists(path):
        return path, False
    return default_storage.save(path, ContentFile(data)), True


def queue(series_id):
    from .tasks import process_series as task

    task.enqueue(series_id)


def process_series(series_id):
    series = ImageSeries.objects.filter(pk=series_id).first()
    if series is None or series.status != ImageSeries.Status.PROCESSING:  # deleted, or done already
        return
    try:
        for frame in series.frames.all():
            render_frame(frame)
            ImageSeries.objects.filter(pk=series_id).update(frames_done=F("frames_done") + 1)
    except Exception as error:  # a frame that cannot be rendered fails the series, visibly
        ImageFile.objects.filter(frame__series=series).delete()
        series.status, series.error = ImageSeries.Status.FAILED, f"{type(error).__name__}: {error}"
    else:
        series.status = ImageSeries.Status.HELD if series.held_reason else ImageSeries.Status.READY
    series.frames_done = series.frames.count() if series.status != ImageSeries.Status.FAILED else 0
    series.save(update_fields=["status", "error", "frames_done"])
    refresh_key_image(series.finding.case_id)


def refresh_key_image(case_id):
    """The case list's thumbnail: the narrowest rendition of the middle frame of the case's first
    series residents may see (by finding, then series order), or none."""
    from cases.models import Case, content_changed

    series = (
        ImageSeries.objects.filter(finding__case_id=case_id, status=ImageSeries.Status.READY)
        .order_by("finding__order", "order", "pk")
        .first()
    )
    name = ""
    if series is not None:
        count = series.frames.count()
        frame = series.frames.filter(index=(count + 1) // 2).first()
        file = frame and frame.files.filter(kind=ImageFile.Kind.FRAME, preset="").order_by("width").first()
        name = file.name if file else ""
    if Case.objects.filter(pk=case_id).exclude(key_image=name).update(key_image=name):
        content_changed()  # the cached list shows the new thumbnail


def render_frame(frame):
    """Store a frame's renditions (every preset, every width, and its annotated copy if it has one)."""
    files = []
    for preset, picture in pictures(frame).items():
        if not preset:
            frame.width, frame.height = picture.width, picture.height
        files += _renditions(frame, picture, preset=preset)
    frame.save(update_fields=["width", "height"])
    ImageFile.objects.filter(frame=frame).delete()
    return ImageFile.objects.bulk_create(files + _annotated_renditions(frame))


def _renditions(frame, picture, *, kind=ImageFile.Kind.FRAME, preset=""):
    return [
        ImageFile(frame=frame, kind=kind, preset=preset, width=width, height=height, name=name)
        for width, height, name in store_renditions(picture)
    ]


def _annotated_renditions(frame):
    if not frame.annotated_source:
        return []
    with default_storage.open(frame.annotated_source.name, "rb") as handle, Image.open(handle) as picture:
        picture.load()
        return _renditions(frame, picture, kind=ImageFile.Kind.ANNOTATED)


def attach_annotated_copy(frame, name, data):
    """An editor's annotated copy of a frame (answer side), cleaned like any raster upload."""
    prepared = prepare_raster(name, data)
    frame.annotated_source, _ = save_source(prepared.data, prepared.kind)
    frame.save(update_fields=["annotated_source"])
    ImageFile.objects.filter(frame=frame, kind=ImageFile.Kind.ANNOTATED).delete()
    return ImageFile.objects.bulk_create(_annotated_renditions(frame))


def confirm_no_burned_in_text(series):
    """An editor has checked every frame of a held series: it may be shown."""
    series.refresh_from_db(fields=["status", "held_reason"])
    if series.status == ImageSeries.Status.HELD:
        series.status, series.held_reason = ImageSeries.Status.READY, ""
        series.save(update_fields=["status", "held_reason"])
        refresh_key_image(series.finding.case_id)


def delete_unused_files():
    """Remove stored renditions and sources no row refers to any more (after deletions)."""
    used = set(ImageFile.objects.values_list("name", flat=True))
    removed = 0
    if default_storage.exists("images"):
        for name in default_storage.listdir("images")[1]:
            if name not in used:
                default_storage.delete(storage_path(name))
                removed += 1
    sources = set(Frame.objects.values_list("source", flat=True))
    sources |= set(Frame.objects.values_list("annotated_source", flat=True))
    if default_storage.exists(SOURCE_DIR):
        for name in default_storage.listdir(SOURCE_DIR)[1]:
            if f"{SOURCE_DIR}/{name}" not in sources:
                default_storage.delete(f"{SOURCE_DIR}/{name}")
                removed += 1
    return removed
