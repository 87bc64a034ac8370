"""Write the synthetic CT phantom series (CC0, no patient) as DICOM files, to try uploads with."""

from pathlib import Path

from django.core.management.base import BaseCommand

from imaging.phantom import phantom_series


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--frames", type=int, default=20)
        parser.add_argument("--size", type=int, default=256)
        parser.add_argument(
            "--clean",
            action="store_true",
            help="Without the planted identifiers (by default every attribute the profile names holds one).",
        )

    def handle(self, *args, directory, frames, size, clean, **options):
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        for name, data in phantom_series(frames=frames, size=size, plant=not clean):
            (target / name).write_bytes(data)
        self.stdout.write(f"{frames} DICOM files in {target}/ (synthetic phantom, CC0).")
