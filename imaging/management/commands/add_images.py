"""Attach image files (DICOM, PNG, JPEG, WebP, or zips of them) to a case's finding, as the admin does."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from imaging.models import ImageSeries
from imaging.processing import Refused
from imaging.services import add_series, process_series


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("case", help="The case's slug.")
        parser.add_argument("files", nargs="+", help="Image files or zips; one series in all.")
        parser.add_argument("--finding", type=int, default=1, help="The finding's order within the case (default 1).")
        parser.add_argument("--caption", default="", help="Presentation-side caption, e.g. 'Sagittal T2'.")
        parser.add_argument("--alt-text", default="", help="Presentation-side alt text.")
        parser.add_argument(
            "--wait", action="store_true", help="Render now, in this process, and report what was stored."
        )

    def handle(self, *args, case, files, finding, caption, alt_text, wait, **options):
        target = Case.objects.filter(slug=case).first()
        if target is None:
            raise CommandError(f"No case with the slug {case!r}.")
        row = target.findings.filter(order=finding).first()
        if row is None:
            raise CommandError(f"Case {case!r} has no imaging finding {finding}.")
        uploads = []
        for name in files:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"{name}: no such file.")
            uploads.append((path.name, path.read_bytes()))
        try:
            series = add_series(finding=row, files=uploads, caption=caption, alt_text=alt_text)
        except Refused as refused:
            raise CommandError("Nothing was stored:\n" + "\n".join(refused.messages)) from None
        if wait and series.status == ImageSeries.Status.PROCESSING:
            process_series(series.pk)  # the queued task will find it done and do nothing more
        series.refresh_from_db()
        self.stdout.write(
            f"Series {series.pk} on {target.slug}, finding {finding}: {series.frames_expected} frames, "
            f"{series.progress_label()}."
        )
        if series.held_reason:
            self.stdout.write(f"Held until an editor checks the pixels: {series.held_reason}.")
        if series.deidentification:
            self.stdout.write(f"De-identified: {series.deidentification}.")
