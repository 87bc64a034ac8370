"""Case files with their images: a zip of `cases.yaml` (the YAML case file, unchanged), `images.yaml`
(each case's series, frames, captions and annotations) and `images/` (the de-identified sources).

Import checks the whole archive first (the YAML as `import_cases` does, every image as an upload is
checked) and then loads it in one transaction: a bad image or a bad field changes nothing. DICOM files
that Casebook de-identified come back byte for byte (processing.already_deidentified), so export →
import into an empty database → export gives the same bytes.
"""

import io
import zipfile
from dataclasses import dataclass, field

import yaml
from django.core.files.storage import default_storage
from django.db import transaction

from cases.casefiles import MAX_DEPTH, CaseFileError, column, export_cases, import_cases
from cases.editorial import describe_spoilers, spoilers
from cases.models import Case, Diagnosis

from .models import Annotation, Frame, ImageSeries
from .processing import DEIDENTIFICATION_METHOD, MAX_UPLOAD_BYTES, Refused, prepare_file
from .services import queue, save_source

CASES, IMAGES = "cases.yaml", "images.yaml"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # every member's date, so the same content gives the same zip
# Texts in both languages: English under the field's own name, French under name_fr (as case files).
SERIES_FIELDS = [
    "modality",
    "technique",
    "technique_fr",
    "plane",
    "caption",
    "caption_fr",
    "alt_text",
    "alt_text_fr",
    "answer_caption",
    "answer_caption_fr",
]
FRAME_FIELDS = ["caption", "caption_fr", "alt_text", "alt_text_fr", "answer_caption", "answer_caption_fr"]
ANNOTATION_FIELDS = ["shape", "x1", "y1", "x2", "y2", "label", "label_fr"]


SHOWN = [ImageSeries.Status.READY, ImageSeries.Status.HELD]
CHECKED = f"{DEIDENTIFICATION_METHOD}; checked again on import"


def export_archive(*, status=None):
    """The zip's bytes: the cases (all, or those with `status`), their shown or held series, their files."""
    text = export_cases(status=status, fmt="yaml")
    series = (
        ImageSeries.objects.filter(finding__case__is_synthetic=False, status__in=SHOWN)
        .select_related("finding__case")
        .prefetch_related("frames__annotations")
        .order_by("finding__case__slug", "finding__order", "order")
    )
    if status:
        series = series.filter(finding__case__status=status)
    manifest, files = [], {}
    for one in series:
        frames = []
        for frame in one.frames.all():
            row = {
                "index": frame.index,
                "source": _member(frame.source.name, files),
                "source_frame": frame.source_frame,
            }
            row |= {name: getattr(frame, column(Frame, name)) or "" for name in FRAME_FIELDS}
            if frame.annotated_source:
                row["annotated_copy"] = _member(frame.annotated_source.name, files)
            row["annotations"] = [
                {name: getattr(a, column(Annotation, name)) for name in ANNOTATION_FIELDS}
                for a in frame.annotations.all()
            ]
            frames.append(row)
        entry = {"case": one.finding.case.slug, "finding": one.finding.order, "order": one.order}
        entry |= {name: getattr(one, column(ImageSeries, name)) or "" for name in SERIES_FIELDS}
        entry |= {"held": one.status == ImageSeries.Status.HELD, "held_reason": one.held_reason, "frames": frames}
        manifest.append(entry)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write(archive, CASES, text.encode("utf-8"))
        _write(archive, IMAGES, yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False).encode("utf-8"))
        for name in sorted(files):
            with default_storage.open(files[name], "rb") as handle:
                _write(archive, name, handle.read())
    return out.getvalue()


def _member(storage_name, files):
    name = "images/" + storage_name.rsplit("/", 1)[-1]
    files[name] = storage_name
    return name


def _write(archive, name, data):
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


@dataclass
class ArchiveReport:
    cases: object  # cases.casefiles.ImportReport
    series: int = 0
    frames: int = 0
    messages: list = field(default_factory=list)


def import_archive(*, data, dry_run=False):
    """Check a whole archive, then load it in one transaction; CaseFileError lists every problem."""
    members, text, manifest = _open(data)
    errors = []
    try:
        report = import_cases(text=text, fmt="yaml", dry_run=True, images_follow=True)
    except CaseFileError as error:
        report, errors = None, list(error.errors)
    findings = _findings_in(text)
    answers = _final_names(text)
    prepared, count = {}, 0
    for number, entry in enumerate(manifest, start=1):
        where = f"images.yaml, series {number}"
        problems = _entry_problems(entry, findings)
        if problems:
            errors += [f"{where}: {problem}" for problem in problems]
            continue
        if found := spoilers(_shown_texts(entry), answers.get(entry["case"], [])):
            errors.append(
                f"{where}: shown before the reveal, so it must not name the answer: {describe_spoilers(found)}"
            )
        for frame in entry["frames"]:
            for key in ("source", "annotated_copy"):
                name = frame.get(key)
                if name is None or name in prepared:
                    continue
                if name not in members:
                    errors.append(f"{where}: {name}: not in the archive")
                    continue
                try:
                    prepared[name] = prepare_file(name, members[name], verify_only=True)
                except Refused as refused:
                    errors += [f"{where}: {message}" for message in refused.messages]
            count += 1
    if errors:
        raise CaseFileError(errors)
    result = ArchiveReport(cases=report, series=len(manifest), frames=count)
    if dry_run:
        return result
    with transaction.atomic():
        result.cases = import_cases(text=text, fmt="yaml", images_follow=True)
        cases = {case.slug: case for case in Case.objects.filter(slug__in={slug for slug, _ in findings})}
        ImageSeries.objects.filter(finding__case__in=cases.values()).delete()  # the archive's images replace them
        for entry in manifest:
            _store(entry, cases[entry["case"]], prepared)
    return result


def _open(data):
    if len(data) > MAX_UPLOAD_BYTES:
        raise CaseFileError([f"The archive is larger than {MAX_UPLOAD_BYTES // 2**20} MB."])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if sum(info.file_size for info in infos) > MAX_UPLOAD_BYTES:
            raise CaseFileError([f"The archive holds more than {MAX_UPLOAD_BYTES // 2**20} MB once unpacked."])
        members = {info.filename: archive.read(info) for info in infos}
    except (zipfile.BadZipFile, OSError) as error:
        raise CaseFileError([f"The archive cannot be read: {error}"]) from None
    if CASES not in members:
        raise CaseFileError([f"The archive has no {CASES}."])
    try:
        text = members[CASES].decode("utf-8")
        manifest = yaml.safe_load(members.get(IMAGES, b"[]").decode("utf-8")) or []
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise CaseFileError([f"{IMAGES} is not valid YAML: {' '.join(str(error).split())}"]) from None
    if not isinstance(manifest, list) or not all(isinstance(entry, dict) for entry in manifest):
        raise CaseFileError([f"{IMAGES} must be a list of series, each a mapping."])
    if _depth(manifest) > MAX_DEPTH:
        raise CaseFileError([f"{IMAGES} is nested more than {MAX_DEPTH} levels deep."])
    return members, text, manifest


def _depth(value, level=1):
    if isinstance(value, dict):
        return max([level, *(_depth(v, level + 1) for v in value.values())])
    if isinstance(value, list):
        return max([level, *(_depth(v, level + 1) for v in value)])
    return level


def _findings_in(text):
    """{(case slug, finding order)} that the case file defines."""
    entries = yaml.safe_load(text) or []
    return {
        (entry["fields"]["case"][0], entry["fields"]["order"])
        for entry in entries
        if isinstance(entry, dict) and entry.get("model") == "cases.imagingfinding"
    }


def _final_names(text):
    """{case slug: every name of its final diagnosis, in both languages}: as the file gives the entry,
    and as the database has it."""
    entries = [entry for entry in yaml.safe_load(text) or [] if isinstance(entry, dict)]
    finals = {
        entry["fields"]["case"][0]: entry["fields"]["diagnosis"][0]
        for entry in entries
        if entry.get("model") == "cases.differential" and entry["fields"].get("is_final") is True
    }
    in_file = {
        entry["fields"].get("slug"): [
            line.strip()
            for key in ("name", "name_fr", "aliases", "aliases_fr")
            for line in str(entry["fields"].get(key) or "").splitlines()
            if line.strip()
        ]
        for entry in entries
        if entry.get("model") == "cases.diagnosis"
    }
    stored = {d.slug: d.names() for d in Diagnosis.objects.filter(slug__in=set(finals.values()))}
    return {case: in_file.get(slug, []) + stored.get(slug, []) for case, slug in finals.items()}


def _shown_texts(entry):
    """(field, text) for what residents see of a series before the reveal: technique, captions, alt text."""
    names = ["technique", "technique_fr", "caption", "caption_fr", "alt_text", "alt_text_fr"]
    yield from ((name, str(entry.get(name) or "")) for name in names)
    for index, frame in enumerate(entry.get("frames") or [], start=1):
        for name in names[2:]:
            yield f"frame {index}: {name}", str(frame.get(name) or "") if isinstance(frame, dict) else ""


def _entry_problems(entry, findings):
    problems = []
    if (entry.get("case"), entry.get("finding")) not in findings:
        problems.append(f"case {entry.get('case')!r}, finding {entry.get('finding')!r}: not in cases.yaml")
    for name in SERIES_FIELDS + ["held_reason"]:
        if not isinstance(entry.get(name, ""), str):
            problems.append(f"{name}: give text")
    frames = entry.get("frames")
    if not isinstance(frames, list) or not frames or not all(isinstance(frame, dict) for frame in frames):
        return [*problems, "frames: give a list of frames, each a mapping"]
    for frame in frames:
        if not isinstance(frame.get("index"), int) or not isinstance(frame.get("source"), str):
            problems.append("frames: each needs an index (a number) and a source (a file in the archive)")
        annotations = frame.get("annotations", [])
        if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
            problems.append(f"frame {frame.get('index')}: annotations: give a list of mappings")
            continue
        for annotation in annotations:
            shape = annotation.get("shape")
            coordinates = [annotation.get(name) for name in ("x1", "y1")]
            if shape not in Annotation.Shape.values or not all(
                isinstance(v, int | float) and 0 <= v <= 1 for v in coordinates
            ):
                problems.append(f"frame {frame.get('index')}: an annotation needs a shape and x1, y1 between 0 and 1")
    return problems


def _store(entry, case, prepared):
    finding = case.findings.get(order=entry["finding"])
    series = ImageSeries.objects.create(
        finding=finding,
        order=entry["order"],
        frames_expected=len(entry["frames"]),
        held_reason=entry.get("held_reason", "") or ("held in the exported file" if entry.get("held") else ""),
        deidentification=CHECKED if any(prepared[row["source"]][0].kind == "dicom" for row in entry["frames"]) else "",
        **{column(ImageSeries, name): entry.get(name, "") or "" for name in SERIES_FIELDS},
    )
    for row in entry["frames"]:
        items = prepared[row["source"]]
        item = items[min(row.get("source_frame", 0), len(items) - 1)]
        frame = Frame.objects.create(
            series=series,
            index=row["index"],
            source=save_source(item.data, item.kind)[0],
            source_frame=item.frame_number,
            **{column(Frame, name): row.get(name, "") or "" for name in FRAME_FIELDS},
        )
        if row.get("annotated_copy"):
            copy = prepared[row["annotated_copy"]][0]
            frame.annotated_source = save_source(copy.data, copy.kind)[0]
            frame.save(update_fields=["annotated_source"])
        Annotation.objects.bulk_create(
            Annotation(
                frame=frame, **{column(Annotation, name): a.get(name) for name in ANNOTATION_FIELDS if name in a}
            )
            for a in row.get("annotations", [])
        )
    transaction.on_commit(lambda: queue(series.pk))
    return series
