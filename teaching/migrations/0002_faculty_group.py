"""Faculty teach their cohorts: create cohorts, invite residents, set assignments, see held cases."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

FACULTY_PERMISSIONS = [
    ("teaching", "view_cohort"),
    ("teaching", "add_cohort"),
    ("teaching", "change_cohort"),
    ("teaching", "add_invitation"),
    ("teaching", "view_invitation"),
    ("teaching", "change_invitation"),
    ("teaching", "delete_invitation"),
    *(
        ("teaching", f"{action}_{model}")
        for model in ("assignment", "assignmentcase")
        for action in ("view", "add", "change", "delete")
    ),
    ("cases", "view_held_case"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    make_group(apps)


def make_group(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    faculty, _ = Group.objects.get_or_create(name="Faculty")
    faculty.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in FACULTY_PERMISSIONS
        ]
    )


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Faculty").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0015_held_and_scheduled_cases"),
        ("teaching", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
