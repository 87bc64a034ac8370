"""Editors write, review and publish cases in the admin; Residents only read the site."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CASE_MODELS = ["case", "imagingfinding", "differential", "reference", "diagnosis", "primarytumour", "levelspan"]
# Rows an editor removes while editing a case; the vocabularies are PROTECTed while cases use them.
DELETABLE = ["imagingfinding", "differential", "reference", "levelspan", "diagnosis", "primarytumour"]


def editor_codenames():
    yield "publish_case"
    for model in CASE_MODELS:
        yield from (f"add_{model}", f"change_{model}", f"view_{model}")
    for model in DELETABLE:
        yield f"delete_{model}"


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    make_groups(apps)


def make_groups(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.set(
        [
            *Permission.objects.filter(content_type__app_label="cases", codename__in=list(editor_codenames())),
            Permission.objects.get(content_type__app_label="auth", codename="view_user"),
        ]
    )
    Group.objects.get_or_create(name="Residents")


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Residents"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_case_publish_permission"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
