"""The image texts editors write, in English and in French (see cases/translation.py)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Annotation, Frame, ImageSeries


@register(ImageSeries)
class ImageSeriesTranslation(TranslationOptions):
    fields = ("technique", "caption", "alt_text", "answer_caption")


@register(Frame)
class FrameTranslation(TranslationOptions):
    fields = ("caption", "alt_text", "answer_caption")


@register(Annotation)
class AnnotationTranslation(TranslationOptions):
    fields = ("label",)
