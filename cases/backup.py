"""Backing up and restoring the whole database, with each database's own tools.

SQLite: the online backup API (a consistent copy of a live database, page by page, never a file
copy that could catch a half-written transaction). PostgreSQL: pg_dump's custom format, restored by
pg_restore. Both go through Django's connection settings, so they back up what the site uses.
"""

import os
import shutil
import sqlite3
import subprocess

from django.db import connections


class BackupError(Exception):
    pass


def _postgres_env(settings):
    env = {**os.environ, "PGDATABASE": settings["NAME"]}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings.get(key):
            env[variable] = str(settings[key])
    return env


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client).")
    return path


def _run(command, env):
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{command[0].rsplit('/', 1)[-1]} failed: {result.stderr.strip()}")


def is_empty(alias="default"):
    """True when the database holds no case, diagnosis, user or quiz run (tables may exist)."""
    from django.contrib.auth.models import User

    from cases.models import Case, Diagnosis
    from quiz.models import QuizRun

    tables = connections[alias].introspection.table_names()
    return all(
        model._meta.db_table not in tables or not model.objects.using(alias).exists()
        for model in (Case, Diagnosis, User, QuizRun)
    )


def backup_database(path, *, alias="default"):
    """Write a consistent copy of the live database to `path`."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with sqlite3.connect(path) as target:
            connection.connection.backup(target)
        target.close()
    elif connection.vendor == "postgresql":
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-acl", "--file", str(path)],
            _postgres_env(connection.settings_dict),
        )
    else:
        raise BackupError(f"No backup method for {connection.vendor}.")


def restore_database(path, *, alias="default"):
    """Replace the database's whole content with the backup at `path`."""
    if not os.path.exists(path):
        raise BackupError(f"{path}: no such file.")
    connection = connections[alias]
    if connection.vendor == "sqlite":
        with open(path, "rb") as file:
            if file.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{path} is not a SQLite backup.")
        connection.ensure_connection()
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    elif connection.vendor == "postgresql":
        connection.close()  # pg_restore drops and recreates the tables this connection may hold open
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-acl",
                "--single-transaction",
                "--dbname",
                connection.settings_dict["NAME"],
                str(path),
            ],
            _postgres_env(connection.settings_dict),
        )
    else:
        raise BackupError(f"No restore method for {connection.vendor}.")
