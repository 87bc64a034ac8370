"""What must follow any save of case content, however it is made (admin, case files, loaddata, the shell).

Wired in CasesConfig.ready(); every receiver names its senders.
"""

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models.signals import post_delete, post_migrate, post_save, pre_save

from .models import (
    Case,
    Diagnosis,
    Differential,
    FacetTotal,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    Reference,
    case_rows_changed,
    content_changed,
)

# Every model whose rows a page shows: a save or deletion of any of them renders cached pages anew.
CONTENT_MODELS = (Case, LevelSpan, ImagingFinding, Differential, Reference, Diagnosis, PrimaryTumour)
# Models that render markdown when saved (DerivedFieldsMixin).
MARKDOWN_MODELS = (Case, ImagingFinding, Diagnosis)


def render_markdown_of_raw_rows(sender, instance, raw, **kwargs):
    # loaddata saves with raw=True, bypassing Model.save(); fixtures carry only the markdown
    # source, so the sanitised HTML is computed here for them.
    if raw:
        instance.refresh_derived_fields()


def reindex_case(sender, instance, **kwargs):
    # Also for loaddata's raw saves: fixtures never carry the derived search and filter fields.
    case_rows_changed(instance.pk if sender is Case else instance.case_id)


def bump_content_version(sender, **kwargs):
    content_changed()


def facet_totals_are_kept(sender, using, **kwargs):
    """After `migrate` (and `flush`): the triggers that keep FacetTotal are on cases_case, if its table is there.

    On SQLite, a migration that rebuilds cases_case drops them with the old table; the list's counts
    would then drift from the cases without a word. Better that the migration stops the deploy.
    """
    connection = connections[using]
    expected = FacetTotal.TRIGGERS.get(connection.vendor)
    if not expected or FacetTotal._meta.db_table not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases_case'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_case'::regclass AND NOT tgisinternal")
        missing = expected - {name for (name,) in cursor.fetchall()}
    if missing:
        raise ImproperlyConfigured(
            f"The triggers that keep the list's counts are missing from cases_case: {', '.join(sorted(missing))}. "
            "A migration rebuilt the table (on SQLite, adding a field with a default or altering one does): "
            "it must create them again, with the SQL of cases/migrations/0017_facet_totals.py."
        )


def planner_statistics_are_kept(sender, using, **kwargs):
    """After `migrate` on SQLite: every table with rows has planner statistics, gathering them if not.

    A migration that rebuilds a table on SQLite (adding a field with a default, altering one) drops
    the table's statistics with it, and without them SQLite reads the list's counts through the
    status index and every wide row instead of scanning the covering facet index: 148 instead of
    80 ms at 100,000 cases. ANALYZE takes a fraction of a second there (0.3 s).
    """
    connection = connections[using]
    if connection.vendor != "sqlite":  # PostgreSQL keeps its statistics, and autovacuum renews them
        return
    tables = {name for name in connection.introspection.table_names() if not name.startswith("sqlite_")}
    with connection.cursor() as cursor:
        analysed = set()
        if "sqlite_stat1" in {name for (name,) in cursor.execute("SELECT name FROM sqlite_master")}:
            analysed = {name for (name,) in cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")}
        quote = connection.ops.quote_name
        for table in tables - analysed:
            if cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})").fetchone()[0]:
                cursor.execute("ANALYZE")
                return


def connect(app_config):
    for model in MARKDOWN_MODELS:
        pre_save.connect(render_markdown_of_raw_rows, sender=model, dispatch_uid=f"markdown-{model.__name__}")
    post_save.connect(reindex_case, sender=Case, dispatch_uid="reindex-case")
    for model in (LevelSpan, ImagingFinding):
        post_save.connect(reindex_case, sender=model, dispatch_uid=f"reindex-save-{model.__name__}")
        post_delete.connect(reindex_case, sender=model, dispatch_uid=f"reindex-delete-{model.__name__}")
    for model in CONTENT_MODELS:
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"content-version-save-{model.__name__}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"content-version-delete-{model.__name__}")
    post_migrate.connect(facet_totals_are_kept, sender=app_config, dispatch_uid="facet-totals-kept")
    post_migrate.connect(planner_statistics_are_kept, sender=app_config, dispatch_uid="planner-statistics-kept")
