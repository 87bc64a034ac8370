"""Editors add, caption, annotate and remove images, as they do the rest of a case."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["imageseries", "frame", "imagefile", "annotation"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    add_to_editors(apps)


def add_to_editors(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    codenames = [f"{action}_{model}" for model in MODELS for action in ("add", "change", "view", "delete")]
    editors.permissions.add(*Permission.objects.filter(content_type__app_label="imaging", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for editors in Group.objects.filter(name="Editors"):
        editors.permissions.remove(*Permission.objects.filter(content_type__app_label="imaging"))


class Migration(migrations.Migration):
    dependencies = [
        ("imaging", "0001_initial"),
        ("cases", "0003_editor_and_resident_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
