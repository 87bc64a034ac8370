"""Editorial rules shared by the admin and case files: spoilers, publishing, merging diagnoses."""
from django.db import transaction
from django.utils import timezone

from .models import Case
from .text import fold


def title_spoiler(title, diagnosis):
    """The name or alias of `diagnosis` that `title` gives away (whole words, accent- and case-blind), or None."""
    folded_title = f" {fold(title)} "
    for name in diagnosis.names():
        if fold(name) and f" {fold(name)} " in folded_title:
            return name
    return None


def publish_case(*, case, by):
    """Publish a draft that has its final diagnosis; return False, changing nothing, if it has none."""
    if not case.differentials.filter(is_final=True).exists():
        return False
    case.status = Case.Status.PUBLISHED
    case.published_at = timezone.now()
    case.published_by = by
    case.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    return True


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
        twin.favours = _join(twin.favours, row.favours)
        twin.against = _join(twin.against, row.against)
        twin.save(update_fields=["is_final", "favours", "against"])

    known = {fold(name) for name in keep.names()}
    aliases = keep.alias_list()
    for name in merge.names():
        if fold(name) not in known:
            known.add(fold(name))
            aliases.append(name)
    keep.aliases = "\n".join(aliases)
    keep.save()
    merge.delete()
