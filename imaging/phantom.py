"""A synthetic CT phantom of the lumbar spine, written by this project (CC0), for the tests, the
benchmark and the README: no patient's image. Every attribute the de-identification profile names
is filled with a planted identifier, as are private tags, nested sequences, an overlay and a curve,
so that de-identification can be checked byte for byte.
"""

import io

import numpy as np
from dicomanonymizer.dicomfields_selector import dicom_anonymization_database_selector
from pydicom.datadict import dictionary_VR, keyword_for_tag
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from .processing import PROFILE_TABLES

MARKER = "ZZPHIMARKER"  # planted in every text attribute; must appear in no stored or served byte
MARKER_DATE, MARKER_TIME = "19230405", "121314"
MARKER_UID_ROOT = "1.2.826.0.1.3680043.10.999"  # planted UIDs all start with this
TEXT_VRS = {"PN", "LO", "SH", "LT", "ST", "UT", "CS", "AE", "UC"}
LABEL = "SYNTHETIC PHANTOM (CC0) - NOT A PATIENT"


def _value(vr, tag):
    if vr in TEXT_VRS:
        return MARKER
    if vr == "DA":
        return MARKER_DATE
    if vr == "TM":
        return MARKER_TIME
    if vr == "DT":
        return MARKER_DATE + MARKER_TIME
    if vr == "UI":
        return f"{MARKER_UID_ROOT}.{tag}"
    if vr == "AS":
        return "077Y"
    return None


def _plant(dataset):
    """Every single-tag attribute of the profile, with a planted value where its VR can hold one."""
    tables = dicom_anonymization_database_selector(PROFILE_TABLES)
    for table in tables.values():
        for tag in table:
            if len(tag) != 2 or tag[0] in (0x0000, 0x0002, 0x7FE0):
                continue
            number = (tag[0] << 16) | tag[1]
            try:
                vr = dictionary_VR(number)
            except KeyError:
                continue
            value = _value(vr, number)
            if value is not None and keyword_for_tag(number):
                dataset.add_new(number, vr, value)


def _slice(n, frames, size):
    """A sagittal slice: body outline, five vertebral bodies with discs, the canal and the cord."""
    y, x = np.mgrid[0:size, 0:size]
    offset = (n - frames / 2) / frames  # slices a little to each side of the midline
    image = np.full((size, size), -1000.0)
    body = ((x - size * 0.5) / (size * 0.42)) ** 2 + ((y - size * 0.5) / (size * 0.48)) ** 2 <= 1
    image[body] = 40
    height = size // 7
    for level in range(5):
        top = size // 10 + level * (height + size // 40)
        left, right = int(size * 0.30), int(size * 0.52)
        image[top : top + height, left:right] = 700 - 80 * abs(offset)  # cortex and marrow, roughly
        image[top + height : top + height + size // 40, left:right] = 80  # disc
    canal = (x > size * 0.56) & (x < size * 0.66) & body
    image[canal] = 10
    cord_half = max(1, int(size * 0.02 * (1 - abs(offset))))
    image[(np.abs(x - size * 0.61) < cord_half) & (y < size * 0.6) & body] = 35
    if n % 3 == 0:  # a small lytic focus on some slices, for annotation practice
        image[int(size * 0.35) : int(size * 0.4), int(size * 0.4) : int(size * 0.45)] = 30
    return np.clip(image + 1024, 0, 4095).astype(np.uint16)


def phantom_series(frames=20, size=256, plant=True):
    """[(file name, DICOM bytes)]: an uncompressed CT series of `frames` slices."""
    series_uid, study_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    files = []
    for n in range(1, frames + 1):
        dataset = Dataset()
        if plant:
            _plant(dataset)
            dataset.add_new(0x00091010, "LO", f"PRIVATE {MARKER}")  # a private tag
            dataset.add_new(0x00090010, "LO", "CASEBOOK PRIVATE")
            nested = Dataset()
            nested.PatientName = MARKER
            nested.ReferencedSOPInstanceUID = f"{MARKER_UID_ROOT}.7.{n}"
            nested.add_new(0x00091010, "LO", f"NESTED PRIVATE {MARKER}")
            dataset.ReferencedImageSequence = Sequence([nested])
            dataset.add_new(0x60000010, "US", size)  # overlay rows
            dataset.add_new(0x60000011, "US", size)
            dataset.add_new(0x60003000, "OW", bytes(size * size // 8))
            dataset.add_new(0x60004000, "LT", f"OVERLAY {MARKER}")
            dataset.add_new(0x50000005, "US", 2)  # a retired curve
            dataset.add_new(0x50003000, "OW", b"\x00\x00" * 8)
        dataset.SOPClassUID = CTImageStorage
        dataset.SOPInstanceUID = generate_uid() if not plant else f"{MARKER_UID_ROOT}.8.{n}"
        dataset.StudyInstanceUID = study_uid if not plant else f"{MARKER_UID_ROOT}.9"
        dataset.SeriesInstanceUID = series_uid if not plant else f"{MARKER_UID_ROOT}.10"
        dataset.FrameOfReferenceUID = frame_uid
        dataset.Modality = "CT"
        dataset.SeriesDescription = LABEL if not plant else f"{LABEL} {MARKER}"
        dataset.ImageType = ["DERIVED", "SECONDARY"]
        dataset.BurnedInAnnotation = "NO"
        dataset.InstanceNumber = n
        dataset.ImagePositionPatient = [0.0, 0.0, float(n)]
        dataset.ImageOrientationPatient = [0, 1, 0, 0, 0, -1]
        dataset.PixelSpacing = [1.0, 1.0]
        dataset.SliceThickness = 1.0
        dataset.Rows = dataset.Columns = size
        dataset.SamplesPerPixel = 1
        dataset.PhotometricInterpretation = "MONOCHROME2"
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit = 16, 12, 11
        dataset.PixelRepresentation = 0
        dataset.RescaleIntercept, dataset.RescaleSlope = -1024, 1
        dataset.WindowCenter, dataset.WindowWidth = 40, 400
        dataset.PixelData = _slice(n, frames, size).tobytes()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dataset.file_meta = meta
        out = io.BytesIO()
        dataset.save_as(out, enforce_file_format=True)
        files.append((f"phantom-{n:03d}.dcm", out.getvalue()))
    return files
