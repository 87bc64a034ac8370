from django.core.management.base import BaseCommand, CommandError

from cases.backup import BackupError, backup_database


class Command(BaseCommand):
    help = "Write a consistent backup of the live database (SQLite's online backup API, or pg_dump) to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the backup.")

    def handle(self, *, file, **options):
        try:
            backup_database(file)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up the database to {file}.")
