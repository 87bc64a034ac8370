from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.casefiles import export_cases
from cases.models import Case


class Command(BaseCommand):
    help = "Write cases, with the diagnoses and primary tumours they use, as a fixture people can read and diff."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=Case.Status.values, help="Only cases with this status.")
        parser.add_argument(
            "--format",
            choices=["yaml", "json", "zip"],
            default="yaml",
            dest="fmt",
            help="zip: the YAML with the cases' images (needs --output).",
        )
        parser.add_argument("--output", "-o", help="The file to write (default: standard output).")

    def handle(self, *, status, fmt, output, **options):
        if fmt == "zip":
            from imaging.archive import export_archive

            if not output:
                raise CommandError("--format zip writes a file: give --output cases.zip")
            Path(output).write_bytes(export_archive(status=status))
            self.stderr.write(f"Wrote {output}.")
            return
        text = export_cases(status=status, fmt=fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
