"""Counts of published cases per facet value, kept by triggers on cases_case (see FacetTotal).

The SQL is written out here, frozen: the columns as they are at this migration, and every bit a
64-bit mask can hold, so an option added later needs no new trigger.
"""

from django.db import migrations, models

MASKS = ("region_mask", "level_mask", "compartment_mask", "modality_mask")
VALUES = ("known_primary_id", "sex", "age", "difficulty")
WATCHED = ("status", *MASKS, *VALUES)
BITS = "(VALUES " + ", ".join(f"({1 << bit})" for bit in range(63)) + ") AS bits"


def keys_of(row):
    """A SELECT of (column, key) for each value this row (OLD or NEW) counts under."""
    parts = [
        f"SELECT '{mask}' AS col, CAST(bits.column1 AS TEXT) AS k FROM {BITS} WHERE ({row}.{mask} & bits.column1) <> 0"
        for mask in MASKS
    ]
    parts += [f"SELECT '{column}', COALESCE(CAST({row}.{column} AS TEXT), '')" for column in VALUES]
    parts.append("SELECT '*', ''")
    return " UNION ALL ".join(parts)


def uncount(row):
    """Take the row's keys off: an update only, never an insert, so that a flush that empties the
    totals before the cases (or a delete that follows) leaves no count below zero."""
    return f'UPDATE cases_facettotal SET n = n - 1 WHERE {row}.status = \'published\' AND ("column", "key") IN ({keys_of(row)})'


def count(row):
    """Add the row's keys, making the rows of keys not seen before."""
    return (
        f'INSERT INTO cases_facettotal ("column", "key", n) SELECT keys.col, keys.k, 1 '
        f"FROM ({keys_of(row)}) AS keys WHERE {row}.status = 'published' "
        'ON CONFLICT ("column", "key") DO UPDATE SET n = cases_facettotal.n + excluded.n'
    )


CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in WATCHED)

# One trigger per event, its statements in order: an update takes the old keys off before adding the new.
SQLITE = [
    f"CREATE TRIGGER cases_facettotal_insert AFTER INSERT ON cases_case BEGIN {count('NEW')}; END",
    f"CREATE TRIGGER cases_facettotal_delete AFTER DELETE ON cases_case BEGIN {uncount('OLD')}; END",
    f"CREATE TRIGGER cases_facettotal_update AFTER UPDATE OF {', '.join(WATCHED)} ON cases_case "
    f"WHEN {CHANGED} BEGIN {uncount('OLD')}; {count('NEW')}; END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS cases_facettotal_{name}" for name in ("insert", "delete", "update")]

# Shared counters and concurrent edits: the totals are brought up to date at commit (deferred
# constraint triggers), after the transaction holds every row lock it will take, and under one
# advisory lock held to the end of the commit. Taken earlier, in the statement, two transactions
# could wait for each other (an import holding the totals and editing case X, an editor holding X
# and waiting for the totals). The function compares the watched columns itself: a column named
# in a trigger's definition could no longer have its type altered by a later migration.
TOTALS_LOCK = 7_301_964_211  # any constant: the key of the advisory lock
PG_UNCHANGED = " AND ".join(f"OLD.{column} IS NOT DISTINCT FROM NEW.{column}" for column in WATCHED)

POSTGRESQL = [
    "CREATE FUNCTION cases_facettotal_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' AND {PG_UNCHANGED} THEN RETURN NULL; END IF; "
    f"PERFORM pg_advisory_xact_lock({TOTALS_LOCK}); "
    f"IF TG_OP <> 'INSERT' THEN {uncount('OLD')}; END IF; "
    f"IF TG_OP <> 'DELETE' THEN {count('NEW')}; END IF; "
    "RETURN NULL; END $$",
    "CREATE CONSTRAINT TRIGGER cases_facettotal_count AFTER INSERT OR UPDATE OR DELETE ON cases_case "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cases_facettotal_count()",
    # TRUNCATE fires no row trigger: emptying the cases empties their totals.
    "CREATE FUNCTION cases_facettotal_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "DELETE FROM cases_facettotal; RETURN NULL; END $$",
    "CREATE TRIGGER cases_facettotal_truncate AFTER TRUNCATE ON cases_case "
    "FOR EACH STATEMENT EXECUTE FUNCTION cases_facettotal_truncate()",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS cases_facettotal_count ON cases_case",
    "DROP TRIGGER IF EXISTS cases_facettotal_truncate ON cases_case",
    "DROP FUNCTION IF EXISTS cases_facettotal_count()",
    "DROP FUNCTION IF EXISTS cases_facettotal_truncate()",
]
# The PostgreSQL triggers' names, to run them at once inside a test's transaction (tests/conftest.py).
DEFERRED = ["cases_facettotal_count"]

# The totals of the cases already there: each mask grouped first (a few thousand distinct values at
# a million cases), then split into bits.
RECOUNT = [
    "DELETE FROM cases_facettotal",
    *(
        f'INSERT INTO cases_facettotal ("column", "key", n) SELECT \'{mask}\', CAST(bits.column1 AS TEXT), SUM(g.n) '
        f"FROM (SELECT {mask} AS m, COUNT(*) AS n FROM cases_case WHERE status = 'published' GROUP BY {mask}) AS g, "
        f"{BITS} WHERE (g.m & bits.column1) <> 0 GROUP BY bits.column1"
        for mask in MASKS
    ),
    *(
        f"INSERT INTO cases_facettotal (\"column\", \"key\", n) SELECT '{column}', COALESCE(CAST({column} AS TEXT), ''), "
        f"COUNT(*) FROM cases_case WHERE status = 'published' GROUP BY COALESCE(CAST({column} AS TEXT), '')"
        for column in VALUES
    ),
    "INSERT INTO cases_facettotal (\"column\", \"key\", n) SELECT '*', '', COUNT(*) FROM cases_case WHERE status = 'published'",
]


def run(schema_editor, statements):
    with schema_editor.connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def create_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    run(schema_editor, POSTGRESQL if postgresql else SQLITE)
    run(schema_editor, RECOUNT)


def drop_triggers(apps, schema_editor):
    run(schema_editor, POSTGRESQL_DROP if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_content_version_next_release"),
    ]

    operations = [
        migrations.CreateModel(
            name="FacetTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("column", models.CharField(max_length=40)),
                ("key", models.CharField(blank=True, max_length=40)),
                ("n", models.BigIntegerField(default=0)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("column", "key"), name="facet_total_unique")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
