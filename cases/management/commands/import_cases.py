from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.casefiles import MAX_FILE_BYTES, CaseFileError, import_cases


class Command(BaseCommand):
    help = "Validate a case file, then load all of it or nothing. Cases already here (same slug) are replaced."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--format", choices=["yaml", "json"], dest="fmt", help="Default: json for a .json file, otherwise yaml."
        )
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")

    def handle(self, *, file, fmt, dry_run, **options):
        if file.endswith(".zip"):
            return self.import_archive(file, dry_run)
        fmt = fmt or ("json" if file.endswith(".json") else "yaml")
        try:
            if Path(file).stat().st_size > MAX_FILE_BYTES:  # refused before it is read into memory
                raise CommandError(
                    f"{file} was not imported, nothing changed: it is larger than "
                    f"{MAX_FILE_BYTES // (1024 * 1024)} MB; split it into several."
                )
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            report = import_cases(text=text, fmt=fmt, dry_run=dry_run)
        except CaseFileError as exc:
            raise CommandError(f"{file} was not imported, nothing changed:\n" + "\n".join(exc.errors)) from exc
        self.report(report, dry_run)

    def import_archive(self, file, dry_run):
        """A zip made by export_cases --format zip: the cases and their images, all or nothing."""
        from imaging.archive import import_archive

        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            result = import_archive(data=data, dry_run=dry_run)
        except CaseFileError as exc:
            raise CommandError(f"{file} was not imported, nothing changed:\n" + "\n".join(exc.errors)) from exc
        self.report(result.cases, dry_run)
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(f"{verb} {result.series} image series ({result.frames} frames).")

    def report(self, report, dry_run):
        for status in ("new", "updated", "unchanged"):
            for name in report.vocabulary[status]:
                self.stdout.write(f"{status}: {name}")
            for slug in getattr(report, status):
                self.stdout.write(f"{status}: {slug}")
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {len(report.new)} new, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged case(s)." + (" Nothing was written." if dry_run else "")
        )
