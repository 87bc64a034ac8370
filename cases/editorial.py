"""Editorial rules shared by the admin and case files: spoilers, publishing, merging diagnoses."""

from django.db import transaction
from django.utils import timezone

from .models import CONTENT_LANGUAGES, Case
from .text import fold, mentions

# The presentation side a resident sees before the reveal, as the spoiler rule reads it.
FINDING_FIELDS = ("technique", "signal", "enhancement", "description")


def spoiler(text, names):
    """The first of `names` that `text` names (cases.text.mentions: case, accents, plurals, spellings…), or None."""
    return next((name for name in names if mentions(text, name)), None)


def slug_words(slug):
    """A slug as the spoiler rule reads it: its hyphens are spaces."""
    return (slug or "").replace("-", " ")


def presentation_texts(*, title, slug, presentation, findings):
    """(field, text) for every presentation-side field; `findings` are (label, {field: text}) pairs."""
    yield "title", title or ""
    yield "slug", slug_words(slug)
    yield "presentation", presentation or ""
    for label, values in findings:
        for name in FINDING_FIELDS:
            yield f"{label}: {name}", values.get(name) or ""


def in_language(where, language):
    """'title' in English, 'title (fr)' in French: which column of a translated field."""
    return where if language == "en" else f"{where} ({language})"


def case_texts(case, findings=None):
    """The presentation-side fields of a saved case in every language (its findings read from the
    database unless given), with the captions and alt text of its findings' images."""
    findings = case.findings.all() if findings is None else findings
    yield "slug", slug_words(case.slug)
    for language in CONTENT_LANGUAGES:
        for where, text in presentation_texts(
            title=getattr(case, f"title_{language}"),
            slug="",
            presentation=getattr(case, f"presentation_{language}"),
            findings=[
                (
                    f"imaging finding {finding.order}",
                    {name: getattr(finding, f"{name}_{language}") for name in FINDING_FIELDS},
                )
                for finding in findings
            ],
        ):
            if where != "slug":
                yield in_language(where, language), text
    yield from image_texts([finding for finding in findings if finding.pk])


def image_texts(findings):
    """(field, text) for the presentation-side captions and alt text of these findings' image series."""
    from imaging.models import Frame, ImageSeries  # the images app builds on this one

    series = ImageSeries.objects.filter(finding__in=findings).select_related("finding")
    frames = (
        Frame.objects.filter(series__in=series)
        .select_related("series__finding")
        .only("index", "caption", "alt_text", "series__order", "series__finding__order")
    )
    for one in series:
        where = f"imaging finding {one.finding.order}, series {one.order}"
        for language in CONTENT_LANGUAGES:
            yield in_language(f"{where}: technique", language), getattr(one, f"technique_{language}") or ""
            yield in_language(f"{where}: caption", language), getattr(one, f"caption_{language}") or ""
            yield in_language(f"{where}: alt text", language), getattr(one, f"alt_text_{language}") or ""
    for frame in frames:
        where = f"imaging finding {frame.series.finding.order}, series {frame.series.order}, frame {frame.index}"
        for language in CONTENT_LANGUAGES:
            yield in_language(f"{where}: caption", language), getattr(frame, f"caption_{language}") or ""
            yield in_language(f"{where}: alt text", language), getattr(frame, f"alt_text_{language}") or ""


def spoilers(texts, names):
    """[(field, name)]: each field whose text names one of `names`, the answer's name or an alias."""
    found = []
    for where, text in texts:
        name = spoiler(text, names)
        if name:
            found.append((where, name))
    return found


def case_spoilers(case, names=None):
    """[(field, name)] for a saved case against its final diagnosis's names (or `names`, e.g. after a rename)."""
    if names is None:
        final = case.differentials.filter(is_final=True).select_related("diagnosis").first()
        names = final.diagnosis.names() if final else []
    return spoilers(case_texts(case), names) if names else []


def cases_spoiled_by(diagnoses, names):
    """The published cases answered by one of `diagnoses` whose presentation would name one of `names`.

    For a vocabulary edit (a rename, a new alias, a merge) before it is saved: [(case, [(field, name)])].
    """
    cases = (
        Case.objects.exclude(status=Case.Status.DRAFT)  # held and scheduled cases will be seen too
        .filter(differentials__diagnosis__in=diagnoses, differentials__is_final=True)
        .prefetch_related("findings")
        .order_by("title")
        .distinct()
    )
    return [(case, found) for case in cases if (found := case_spoilers(case, names))]


def describe_spoilers(found):
    """'title names “Schwannoma”; slug names “Schwannoma”'."""
    return "; ".join(f"{where} names “{name}”" for where, name in found)


class PublishRefused(Exception):
    """Why a draft cannot be published, in a sentence for the editor."""


def check_publishable(case, verb="published"):
    """Raise PublishRefused unless the case has its final diagnosis and gives it away nowhere."""
    final = case.differentials.filter(is_final=True).select_related("diagnosis").first()
    if final is None:
        raise PublishRefused(
            f"“{case}” was not {verb}: it has no final diagnosis. Tick “Is final” on one of its differentials first."
        )
    found = case_spoilers(case, final.diagnosis.names())
    if found:
        raise PublishRefused(
            f"“{case}” was not {verb}: it gives the answer away ({describe_spoilers(found)}, "
            f"a name of the final diagnosis {final.diagnosis}). Rewrite it first."
        )


PUBLICATION_FIELDS = ["status", "publish_at", "held_until", "published_at", "published_by", "updated_at"]


def _drop_past_dates(case):
    """A publication or release date already past (last term's, from a case file) means nothing now."""
    now = timezone.now()
    if case.publish_at and case.publish_at <= now:
        case.publish_at = None
    if case.held_until and case.held_until <= now:
        case.held_until = None


def publish_case(*, case, by):
    """Publish a draft that passes check_publishable (else raise PublishRefused).

    With a future ``publish_at`` it is scheduled, with a future ``held_until`` held for assessment:
    it joins the library when that time comes.
    """
    check_publishable(case)
    _drop_past_dates(case)
    case.status = Case.Status.PUBLISHED
    case.published_at = None  # set when it actually joins the library
    case.published_by = by
    case.save(update_fields=PUBLICATION_FIELDS)


def hold_case(*, case, by):
    """Hold a case for assessment (served only inside assignments) until ``held_until``, or until released."""
    check_publishable(case, verb="held")
    _drop_past_dates(case)
    case.status = Case.Status.HELD
    case.publish_at = None
    case.published_at = None
    case.published_by = by
    case.save(update_fields=PUBLICATION_FIELDS)


def release_case(*, case, by):
    """A held or scheduled case joins the library now."""
    case.status = Case.Status.PUBLISHED
    case.publish_at = case.held_until = None
    case.published_at = None
    case.published_by = by
    case.save(update_fields=PUBLICATION_FIELDS)


def unpublish_case(*, case):
    """Take a case back to draft: residents no longer see it."""
    case.status = Case.Status.DRAFT
    case.published_at = None
    case.published_by = None
    case.save(update_fields=["status", "published_at", "published_by", "updated_at"])


def _join(first, second):
    return "\n\n".join(text for text in dict.fromkeys([first.strip(), second.strip()]) if text)


@transaction.atomic
def merge_diagnoses(*, keep, merge):
    """Fold the `merge` entry into `keep`: every case that cited either cites `keep`; `merge`'s names become aliases."""
    if keep.pk == merge.pk:
        raise ValueError("A diagnosis cannot be merged into itself.")
    for row in merge.differentials.all():
        twin = keep.differentials.filter(case_id=row.case_id).first()
        if twin is None:
            row.diagnosis = keep
            row.save(update_fields=["diagnosis"])
            continue
        # The case listed both: keep one row, final if either was, with both rows' reasoning.
        row.delete()
        twin.is_final = twin.is_final or row.is_final
        reasoning = [f"{name}_{language}" for name in ("favours", "against") for language in CONTENT_LANGUAGES]
        for field in reasoning:
            setattr(twin, field, _join(getattr(twin, field) or "", getattr(row, field) or ""))
        twin.save(update_fields=["is_final", *reasoning])

    # The merged entry's names, in each language, become the kept entry's aliases in that language.
    known = {fold(name) for name in keep.names()}
    for language in CONTENT_LANGUAGES:
        aliases = (getattr(keep, f"aliases_{language}") or "").splitlines()
        merged = [getattr(merge, f"name_{language}"), *(getattr(merge, f"aliases_{language}") or "").splitlines()]
        for name in filter(None, (name.strip() for name in merged if name)):
            if fold(name) not in known:
                known.add(fold(name))
                aliases.append(name)
        setattr(keep, f"aliases_{language}", "\n".join(alias for alias in aliases if alias.strip()))
    keep.save()
    merge.delete()
