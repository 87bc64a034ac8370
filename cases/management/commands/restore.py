from django.core.management.base import BaseCommand, CommandError

from cases.backup import BackupError, is_empty, restore_database


class Command(BaseCommand):
    help = "Restore a backup made by `backup` (SQLite or PostgreSQL), replacing the database's content."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup to restore.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Restore even though the database already holds cases, users or quiz runs.",
        )

    def handle(self, *, file, replace, **options):
        if not replace and not is_empty():
            raise CommandError(
                "The database is not empty: restoring would replace its content. Pass --replace to do so."
            )
        try:
            restore_database(file)
        except (BackupError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the database from {file}.")
