"""What must hold on SQLite and PostgreSQL alike: a total order for every page, and a reversible 0010.

make test runs this file in both passes; the column-type and index checks only mean something on
PostgreSQL (SQLite's integers are 64-bit whatever the column says) and run there.
"""

import re

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from cases.filters import SORTS
from tests.factories import make_case

BEFORE_WIDENING = ("cases", "0009_search_visible_text")
MASKS = ["compartment_mask", "level_mask", "modality_mask", "region_mask"]


def page_queries_order_by(client, params):
    """The ORDER BY of the query that fetched the page's cases, as the database received it."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/", params).status_code == 200
    fetched = [
        sql
        for sql in (q["sql"] for q in queries.captured_queries)
        if sql.split(" FROM ", 1)[-1].startswith('"cases_case" ') and re.search(r" ORDER BY .* LIMIT \d+$", sql)
    ]
    assert fetched, "no query fetched the page's cases"
    return [sql.rsplit(" ORDER BY ", 1)[1].split(" LIMIT ")[0] for sql in fetched]


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["", *SORTS])
def test_every_sort_of_the_list_ends_with_the_primary_key_so_pages_never_overlap(client, sort):
    """Rows equal on every sort column come back in an order the database may change between two
    requests (PostgreSQL does, after updates or in parallel plans): only a unique last key makes
    page 2 the continuation of page 1."""
    for n in range(3):
        make_case(title="Woman with back pain", slug=f"woman-with-back-pain-{n}")
    for order_by in page_queries_order_by(client, {"sort": sort} if sort else {}):
        assert order_by.endswith('"cases_case"."id" ASC'), order_by


def list_plan(client, path, params=None):
    """The query plan of the list page's query for its cases: [step]."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params or {}).status_code == 200
    (fetched,) = [q["sql"] for q in queries.captured_queries if re.search(r" ORDER BY .* LIMIT \d+$", q["sql"])]
    with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL lasts to the end of it
        if connection.vendor == "postgresql":
            # A few rows: a scan and a sort would cost less than the index. Said off, they are taken
            # only where nothing else can give the order.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + fetched)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + fetched)
        return [str(row[-1]) for row in cursor.fetchall()]


def sorted_in_full(plan):
    """The steps that sort every case, not only those that tie on an index's first key (incrementally)."""
    return [step for step in plan if "TEMP B-TREE FOR ORDER BY" in step or re.match(r"\s*(->\s*)?Sort\s+\(", step)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "sort", "index"),
    [
        ("/", "", "case_list_order_en"),
        ("/fr/", "", "case_list_order_fr"),
        ("/", "age", "case_sort_age"),
        ("/", "-age", "case_sort_age_oldest"),
        ("/fr/", "recent", "case_sort_recent"),
    ],
)
def test_each_order_of_the_list_reads_the_cases_through_its_index(client, path, sort, index):
    """At a million cases a page is a walk of an index from one end, not a sort of every case: the
    order's expression must be exactly the one indexed (the sorts' null placeholders included)."""
    for age in (None, 40, 60):
        make_case(age=age)
    plan = list_plan(client, path, {"sort": sort} if sort else {})
    assert any(re.search(rf"\b{index}\b", step) for step in plan), plan  # case_sort_age is not case_sort_age_oldest
    assert not sorted_in_full(plan), plan


@pytest.mark.django_db(transaction=True)
def test_after_migrating_the_list_still_reads_its_index_where_statistics_were_gathered_before(client):
    """Statistics gathered between 0019 and 0020 (after an import, as the README advises) know the
    list's index but not the sorts' indexes; 0020 gathers them again, or SQLite takes an index it
    knows nothing about for the most selective one and sorts every case by title."""
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("cases", "0019_list_order_shown_title")])
        for age in range(30):
            make_case(age=age)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
            if connection.vendor == "sqlite":  # the statistics of a library of 100,000 cases, all published
                cursor.execute("UPDATE sqlite_stat1 SET stat = '100000 100000 1 1' WHERE idx LIKE 'case_list_order_%'")
                cursor.execute("ANALYZE sqlite_master")  # read them again
        MigrationExecutor(connection).migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
    plan = list_plan(client, "/")
    assert any("case_list_order_en" in step for step in plan), plan
    assert not sorted_in_full(plan), plan


def column_types():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'cases_case' AND column_name LIKE '%%_mask' ORDER BY column_name"
        )
        return dict(cursor.fetchall())


def trigram_index():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'case_search_trigram'")
        row = cursor.fetchone()
    return row[0] if row else None


@pytest.mark.django_db(transaction=True)
def test_migration_0010_widens_the_masks_of_an_older_database_and_indexes_its_search_text():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()  # every app's, since going back unapplies the apps built on cases
    try:
        executor.migrate([BEFORE_WIDENING])  # a database as it was before 0010
        if connection.vendor == "postgresql":
            assert column_types() == dict.fromkeys(MASKS, "integer")
            assert trigram_index() is None
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
    if connection.vendor == "postgresql":
        assert column_types() == dict.fromkeys(MASKS, "bigint")
        assert "gin_trgm_ops" in trigram_index()
    case = make_case()
    case.__class__.objects.filter(pk=case.pk).update(level_mask=1 << 62)
    assert case.__class__.objects.filter(level_mask__has_any=1 << 62).count() == 1


@pytest.mark.django_db
def test_migrate_gathers_planner_statistics_a_table_rebuild_dropped(client):
    """On SQLite, a migration that rebuilds cases_case drops its statistics; without them the list's
    counts read every wide row through the status index instead of the covering facet index."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its statistics (and autovacuum renews them)")
    from django.core.management import call_command

    for age in (30, 50, 70):
        make_case(age=age)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'cases_case'")  # as a rebuild leaves them
        call_command("migrate", verbosity=0)
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'cases_case' AND idx = 'case_facets'")
        (stat,) = cursor.fetchone()
    assert stat.split()[0] == "3"  # three cases, counted again
