from pathlib import Path

from django.core.management.base import BaseCommand

from cases.casefiles import export_cases
from cases.models import Case


class Command(BaseCommand):
    help = "Write cases, with the diagnoses and primary tumours they use, as a fixture people can read and diff."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=Case.Status.values, help="Only cases with this status.")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml", dest="fmt")
        parser.add_argument("--output", "-o", help="The file to write (default: standard output).")

    def handle(self, *, status, fmt, output, **options):
        text = export_cases(status=status, fmt=fmt)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
