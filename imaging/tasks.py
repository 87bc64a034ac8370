"""Background work on images (django-tasks: the database backend with `manage.py db_worker`)."""

from django_tasks import task

from . import services


@task()
def process_series(series_id):
    """Render every frame of a series in its sizes and windows, counting progress as it goes."""
    services.process_series(series_id)
