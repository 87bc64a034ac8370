from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def series_deleted(sender, instance, **kwargs):
    from .services import refresh_key_image

    refresh_key_image(instance.finding.case_id)


class ImagingConfig(AppConfig):
    name = "imaging"
    verbose_name = _("Images")

    def connect_signals(self):
        from django.db.models.signals import post_delete, post_save

        from cases.signals import bump_content_version

        from .models import Annotation, Frame, ImageSeries

        post_delete.connect(series_deleted, sender=ImageSeries, dispatch_uid="key-image-series-deleted")
        for model in (ImageSeries, Frame, Annotation):
            post_save.connect(bump_content_version, sender=model, dispatch_uid=f"content-version-save-{model.__name__}")
            post_delete.connect(
                bump_content_version, sender=model, dispatch_uid=f"content-version-delete-{model.__name__}"
            )

    def ready(self):
        self.connect_signals()
