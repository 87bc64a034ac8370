"""The educator-written fields that exist in English and in French (django-modeltranslation).

Each field below gets a column per language (`title_en`, `title_fr`…) beside the original; reading
`case.title` gives the active language's text, or the other language's where it is empty (the pages
then say "not yet translated", see cases.templatetags). Derived HTML is translated too, so each
language's markdown is rendered and sanitised on save. Slugs are not translated: one neutral slug per
case serves both languages, so no address changes and no French slug can name the answer.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Case, Diagnosis, Differential, ImagingFinding, PrimaryTumour


@register(PrimaryTumour)
class PrimaryTumourTranslation(TranslationOptions):
    fields = ("name",)


@register(Diagnosis)
class DiagnosisTranslation(TranslationOptions):
    fields = ("name", "aliases", "summary", "summary_html", "distinguishing_features", "distinguishing_features_html")


@register(Case)
class CaseTranslation(TranslationOptions):
    fields = (
        "title",
        "presentation",
        "presentation_html",
        "proof_details",
        "discussion",
        "discussion_html",
        "teaching_points",
        "teaching_points_html",
        "management_outcome",
        "management_outcome_html",
    )


@register(ImagingFinding)
class ImagingFindingTranslation(TranslationOptions):
    fields = ("technique", "signal", "enhancement", "description", "description_html")


@register(Differential)
class DifferentialTranslation(TranslationOptions):
    fields = ("favours", "against")
