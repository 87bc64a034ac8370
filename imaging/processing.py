"""What happens to an uploaded image, from the bytes received to the files residents are served.

1. `prepare` (in the request, before anything is stored): each file's real type is read from its
   bytes; a zip is opened in memory; DICOM is de-identified with the DICOM PS3.15 Annex E Basic
   Application Level Confidentiality Profile (dicom-anonymizer's tables, pydicom underneath), in
   nested sequences too, with overlays, curves and private tags removed, and the method recorded
   in the file; a PNG, JPEG or WebP is decoded and re-encoded, which drops its metadata (EXIF, GPS,
   text chunks). Any refusal refuses the whole upload, with one message per file.
2. `render_frame` (in the background task): each frame's renditions, WebP at a few widths (and, for
   CT, in a soft-tissue and a bone window), stored under their content hash.

The original bytes are never written anywhere: uploads are read into memory (settings
FILE_UPLOAD_HANDLERS), and only what `prepare` returns is stored.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pydicom
from dicomanonymizer import simpledicomanonymizer
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, UnidentifiedImageError
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_BYTES = 600 * 1024 * 1024  # a whole upload, zips counted uncompressed
MAX_FILES = 1000
MAX_PIXELS = 40_000_000  # per frame: above this a file is refused as a possible decompression bomb
RASTER_FORMATS = {"PNG", "JPEG", "WEBP"}
UNCOMPRESSED = {ExplicitVRLittleEndian, ImplicitVRLittleEndian, ExplicitVRBigEndian}
WIDTHS = (160, 512, 1024)  # thumbnail, phone, desktop; never wider than the frame itself
# CT windows (width, level) in Hounsfield units, rendered on the server.
CT_PRESETS = {"soft-tissue": (400, 40), "bone": (1800, 400)}
PROFILE_TABLES = "dicomfields_2026c"
DEIDENTIFICATION_METHOD = (
    "DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile "
    f"(dicom-anonymizer, {PROFILE_TABLES} tables); private tags, overlays and curves removed"
)
# Sources whose pixels may carry burned-in text (names, dates) unless the file says otherwise.
SCREEN_CAPTURE_MODALITIES = {"US", "SC", "OT", "XC", "DOC"}
SECONDARY_CAPTURE_CLASSES = ("1.2.840.10008.5.1.4.1.1.7",)


class Refused(Exception):
    """An upload refused, with one message per file that could not be accepted."""

    def __init__(self, messages):
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class Prepared:
    """One frame ready to store: its cleaned source bytes and where it sits in the stack."""

    name: str  # the uploaded file's name, for messages only (never stored)
    kind: str  # "dicom" or "raster"
    data: bytes  # de-identified DICOM, or the re-encoded PNG
    order: tuple
    frame_number: int = 0  # within a multi-frame DICOM
    modality: str = ""
    burned_in: str = ""  # why the pixels may carry text, or ""


@dataclass
class PreparedSeries:
    frames: list = field(default_factory=list)
    deidentification: str = ""

    @property
    def held_reason(self):
        reasons = sorted({frame.burned_in for frame in self.frames if frame.burned_in})
        return "; ".join(reasons)


def expand(files):
    """[(name, bytes)] with every zip replaced by its members (read in memory, bounded)."""
    expanded, total = [], 0
    for name, data in files:
        if zipfile.is_zipfile(io.BytesIO(data)) and not data[128:132] == b"DICM":
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
                members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
            except zipfile.BadZipFile:
                raise Refused([f"{name}: the zip file is damaged."]) from None
            for member in members:
                total += member.file_size
                if member.file_size > MAX_FILE_BYTES or total > MAX_UPLOAD_BYTES:
                    raise Refused([f"{name}: the zip holds more than the upload limit once unpacked."])
                expanded.append((f"{name}/{member.filename}", archive.read(member)))
        else:
            total += len(data)
            expanded.append((name, data))
        if len(expanded) > MAX_FILES or total > MAX_UPLOAD_BYTES:
            raise Refused([f"More than {MAX_FILES} files or {MAX_UPLOAD_BYTES // 2**20} MB in one upload."])
    return expanded


def _hidden(path):
    return any(part.startswith(".") or part == "__MACOSX" for part in path.split("/"))


def prepare(files):
    """A PreparedSeries from [(name, bytes)], or Refused listing every file that cannot be used."""
    series, refusals = PreparedSeries(), []
    files = expand(files)
    if not files:
        raise Refused(["No file was uploaded."])
    # UIDs are replaced consistently within one upload (one series), and afresh for the next.
    simpledicomanonymizer.dictionary.clear()
    for name, data in files:
        try:
            series.frames.extend(prepare_file(name, data))
        except Refused as refusal:
            refusals.extend(refusal.messages)
    if refusals:
        raise Refused(refusals)
    if any(frame.kind == "dicom" for frame in series.frames):
        series.deidentification = DEIDENTIFICATION_METHOD
    series.frames.sort(key=lambda frame: frame.order)
    return series


def prepare_file(name, data, *, verify_only=False):
    """The frames of one file. `verify_only` (a Casebook export coming back): a DICOM file that this
    profile already leaves unchanged is kept byte for byte, so an export imported and exported again
    is the same; any other file is cleaned as on upload."""
    if len(data) > MAX_FILE_BYTES:
        raise Refused([f"{name}: larger than {MAX_FILE_BYTES // 2**20} MB."])
    if data[128:132] == b"DICM":
        return prepare_dicom(name, data, verify_only=verify_only)
    return [prepare_raster(name, data)]


# Raster ------------------------------------------------------------------------------------------


def prepare_raster(name, data):
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in RASTER_FORMATS:
                raise Refused([f"{name}: a {image.format} image; upload PNG, JPEG, WebP or DICOM."])
            if image.width * image.height > MAX_PIXELS:
                raise Refused([f"{name}: {image.width} × {image.height} pixels is more than this site accepts."])
            image.load()
            clean = _without_metadata(image)
    except Image.DecompressionBombError:
        raise Refused([f"{name}: too many pixels (a possible decompression bomb)."]) from None
    except (UnidentifiedImageError, SyntaxError):
        raise Refused([f"{name}: not a PNG, JPEG, WebP or DICOM file."]) from None
    except OSError:
        raise Refused([f"{name}: the image is truncated or damaged."]) from None
    out = io.BytesIO()
    clean.save(out, format="PNG")
    reason = "an uploaded picture (PNG, JPEG or WebP) may be a screenshot with text in its pixels"
    return Prepared(name=name, kind="raster", data=out.getvalue(), order=(1, name), burned_in=reason)


def _without_metadata(image):
    """The pixels alone, in L or RGB: a new image carries no EXIF, ICC, text or other chunks."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


# DICOM -------------------------------------------------------------------------------------------


def prepare_dicom(name, data, *, verify_only=False):
    try:
        dataset = pydicom.dcmread(io.BytesIO(data))
    except Exception:  # pydicom raises many kinds for a damaged file
        raise Refused([f"{name}: not a readable DICOM file (damaged or truncated)."]) from None
    syntax = dataset.file_meta.get("TransferSyntaxUID")
    if syntax is None:
        raise Refused([f"{name}: not a readable DICOM file (no transfer syntax in its header)."])
    if syntax not in UNCOMPRESSED:
        label = getattr(syntax, "name", None) or syntax
        raise Refused(
            [f"{name}: compressed DICOM ({label}) is not supported; export the series uncompressed (little endian)."]
        )
    if "PixelData" not in dataset:
        raise Refused([f"{name}: a DICOM file without an image (a report or structured data)."])
    rows, columns = int(dataset.get("Rows", 0)), int(dataset.get("Columns", 0))
    count = int(dataset.get("NumberOfFrames", 1) or 1)
    if not rows or not columns or rows * columns > MAX_PIXELS:
        raise Refused([f"{name}: {columns} × {rows} pixels per frame is not an image this site accepts."])
    try:
        dataset.pixel_array  # noqa: B018 - decodes once, so a truncated file is refused now
    except Exception:
        raise Refused([f"{name}: the DICOM pixel data is truncated or cannot be decoded."]) from None
    burned_in = _burned_in(dataset)
    order = _position(dataset, name)
    modality = str(dataset.get("Modality", "") or "")
    if verify_only and already_deidentified(dataset):
        clean = data
    else:
        clean = _bytes(deidentify(dataset))
    return [
        Prepared(
            name=name,
            kind="dicom",
            data=clean,
            order=(0, *order, n),
            frame_number=n,
            modality=modality,
            burned_in=burned_in,
        )
        for n in range(count)
    ]


def _burned_in(dataset):
    value = str(dataset.get("BurnedInAnnotation", "") or "").upper()
    if value == "YES":
        return "the DICOM file says text is burned into its pixels"
    if value != "NO":
        modality = str(dataset.get("Modality", "") or "")
        if modality in SCREEN_CAPTURE_MODALITIES or str(dataset.get("SOPClassUID", "")) in SECONDARY_CAPTURE_CLASSES:
            return f"a {modality or 'secondary capture'} image that does not say whether text is burned into its pixels"
    return ""


def already_deidentified(dataset):
    """Whether this file is one Casebook de-identified: marked so, with nothing the profile would
    still change but its UIDs, and every UID of the kind the profile gives (2.25.<number>)."""
    if dataset.get("PatientIdentityRemoved") != "YES" or "dicom-anonymizer" not in str(
        dataset.get("DeidentificationMethod", "")
    ):
        return False
    uids = []
    dataset.walk(lambda ds, element: uids.append(str(element.value)) if element.VR == "UI" else None)
    standard = ("1.2.840.10008.",)  # SOP classes and transfer syntaxes: the standard's own UIDs
    if not all(uid.startswith(("2.25.", *standard)) or not uid for uid in uids):
        return False
    copy = pydicom.dcmread(io.BytesIO(_bytes(dataset)))
    actions = simpledicomanonymizer.initialize_actions(PROFILE_TABLES)
    _apply_profile(copy, {tag: _keeping_uids(action) for tag, action in actions.items()})
    return _bytes(copy) == _bytes(dataset)


def _keeping_uids(action):
    """The profile's action, but leaving UIDs as they are (they were replaced when first cleaned)."""

    def act(dataset, tag):
        element = dataset.get(tag)
        if element is not None and element.VR == "UI":
            return None
        return action(dataset, tag)

    return act


def _bytes(dataset):
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def _position(dataset, name):
    """Where a slice sits in its stack: its instance number, then its position along the normal."""
    number = dataset.get("InstanceNumber")
    position = dataset.get("ImagePositionPatient")
    return (int(number) if number not in (None, "") else 10**9, float(position[2]) if position else 0.0, name)


def _apply_profile(dataset, actions):
    """The profile's actions, private tags removed, then curves and overlays (groups 50xx, 60xx) too.

    The library applies the repeating-group rules through every nested sequence (dataset.walk), so a
    UID referenced inside a sequence maps to the same new UID as at the top."""
    simpledicomanonymizer.anonymize_dataset(dataset, base_rules_gen=lambda: dict(actions), delete_private_tags=True)
    for element in list(dataset):
        if (element.tag.group & 0xFF00) in (0x5000, 0x6000):
            del dataset[element.tag]


def deidentify(dataset):
    """PS3.15 Annex E, Basic Application Level Confidentiality Profile, applied in place (nested too)."""
    _apply_profile(dataset, simpledicomanonymizer.initialize_actions(PROFILE_TABLES))
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = "DICOM PS3.15 E Basic Profile; dicom-anonymizer 2.1.0, 2026c"
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator = "113100", "DCM"
    code.CodeMeaning = "Basic Application Confidentiality Profile"
    dataset.DeidentificationMethodCodeSequence = Sequence([code])
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.get(
        "SOPInstanceUID", dataset.file_meta.get("MediaStorageSOPInstanceUID")
    )
    return dataset


# Renditions (in the background task) ------------------------------------------------------------


def pictures(frame):
    """{preset: 8-bit PIL image} for a stored frame: one picture, or one per CT window."""
    with default_storage.open(frame.source.name, "rb") as handle:
        data = handle.read()
    if data[128:132] != b"DICM":
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return {"": image.copy()}
    dataset = pydicom.dcmread(io.BytesIO(data))
    pixels = dataset.pixel_array
    if int(dataset.get("NumberOfFrames", 1) or 1) > 1:
        pixels = pixels[frame.source_frame]
    if dataset.get("PhotometricInterpretation", "").startswith("MONOCHROME"):
        values = apply_modality_lut(pixels, dataset).astype(np.float32)
        invert = dataset.PhotometricInterpretation == "MONOCHROME1"
        windows = {"": _stored_window(dataset, values)}
        if str(dataset.get("Modality", "")) == "CT":
            windows.update(CT_PRESETS)
        return {preset: _windowed(values, width, level, invert) for preset, (width, level) in windows.items()}
    return {"": Image.fromarray(pixels.astype(np.uint8)).convert("RGB")}


def _stored_window(dataset, values):
    width, level = dataset.get("WindowWidth"), dataset.get("WindowCenter")
    if width is not None and level is not None:
        first = lambda value: float(value[0] if isinstance(value, pydicom.multival.MultiValue) else value)  # noqa: E731
        if first(width) > 0:
            return first(width), first(level)
    low, high = np.percentile(values, (0.5, 99.5))
    return max(float(high - low), 1.0), float(low + high) / 2


def _windowed(values, width, level, invert):
    low = level - width / 2
    scaled = np.clip((values - low) / width, 0, 1) * 255
    if invert:
        scaled = 255 - scaled
    return Image.fromarray(scaled.astype(np.uint8), mode="L")


def store_renditions(picture):
    """[(width, height, name)]: the picture at each width up to its own, WebP, stored by content hash."""
    stored, widths = [], sorted({min(width, picture.width) for width in WIDTHS})
    for width in widths:
        height = max(1, round(picture.height * width / picture.width))
        resized = picture if width == picture.width else picture.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        resized.save(out, format="WEBP", quality=82, method=4)
        data = out.getvalue()
        name = hashlib.sha256(data).hexdigest()[:40] + ".webp"
        if not default_storage.exists(storage_path(name)):
            default_storage.save(storage_path(name), ContentFile(data))
        stored.append((width, height, name))
    return stored


def storage_path(name):
    return f"images/{name}"


def source_name(data, kind):
    return f"{hashlib.sha256(data).hexdigest()[:40]}.{'dcm' if kind == 'dicom' else 'png'}"
