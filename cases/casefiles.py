"""Cases as files: Django fixtures with natural keys, for moving cases between installations.

A file lists primary tumours, diagnoses, then each case followed by its level spans, findings,
differentials and references. Derived fields (*_html, search_text) and bookkeeping (timestamps,
who published) are never written, and never read: markdown is rendered again on import.
"""
import json
from collections import Counter
from dataclasses import dataclass, field

import yaml
from django.core import serializers
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.core.serializers.pyyaml import DjangoSafeDumper
from django.core.serializers.pyyaml import Serializer as DjangoYamlSerializer
from django.db import DatabaseError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from .editorial import title_spoiler
from .models import Case, Diagnosis, Differential, ImagingFinding, LevelSpan, PrimaryTumour, Reference, batched_edits

CHILDREN = [LevelSpan, ImagingFinding, Differential, Reference]
MODELS = [PrimaryTumour, Diagnosis, Case, *CHILDREN]  # the order of entries in a file
BY_LABEL = {model._meta.label_lower: model for model in MODELS}
NOT_IN_FILES = {"id", "search_text", "created_at", "updated_at", "published_at", "published_by", "is_synthetic"}
ROW_NAMES = {LevelSpan: "involved levels", ImagingFinding: "imaging finding", Reference: "reference"}


def is_derived(name):
    """Computed from other fields on save (markdown → HTML, search text, facet masks): never in files."""
    return name.endswith(("_html", "_mask")) or name == "search_text"


def file_fields(model):
    return [f.name for f in model._meta.concrete_fields if f.name not in NOT_IN_FILES and not is_derived(f.name)]


FILE_FIELDS = sorted({name for model in MODELS for name in file_fields(model)})


# Export -----------------------------------------------------------------------------------

class _ReadableDumper(DjangoSafeDumper):
    """Django's YAML, with multi-line text as literal blocks and natural keys inline: [slug]."""

    def represent_str(self, data):
        return self.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    def represent_natural_key(self, data):
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_ReadableDumper.add_representer(str, _ReadableDumper.represent_str)
_ReadableDumper.add_representer(tuple, _ReadableDumper.represent_natural_key)


class _YamlSerializer(DjangoYamlSerializer):
    def end_serialization(self):
        yaml.dump(self.objects, self.stream, Dumper=_ReadableDumper, allow_unicode=True)


def _case_rows(case):
    differentials = sorted(case.differentials.all(), key=lambda d: (d.order, d.diagnosis.slug))
    return [case, *case.level_spans.all(), *case.findings.all(), *differentials, *case.references.all()]


def _cases_with_rows():
    return Case.objects.order_by("slug").select_related("known_primary").prefetch_related(
        "level_spans", "findings", "references",
        Prefetch("differentials", queryset=Differential.objects.select_related("diagnosis__broader")),
    )


def _serialize(fmt, objects):
    options = {"fields": FILE_FIELDS, "use_natural_foreign_keys": True, "use_natural_primary_keys": True}
    if fmt == "yaml":
        return _YamlSerializer().serialize(objects, **options)
    if fmt == "json":
        return serializers.serialize("json", objects, indent=2, ensure_ascii=False, **options) + "\n"
    return serializers.serialize(fmt, objects, **options)


def export_cases(*, status=None, fmt="yaml"):
    """Cases (all, or those with `status`) with the vocabulary they use, as a diff-friendly fixture.

    Synthetic benchmark cases never leave the database they were seeded in.
    """
    cases = _cases_with_rows().filter(is_synthetic=False)
    if status:
        cases = cases.filter(status=status)
    rows = [row for case in cases for row in _case_rows(case)]
    primaries = {case.known_primary.slug: case.known_primary for case in cases if case.known_primary}
    diagnoses = {row.diagnosis.pk: row.diagnosis for row in rows if isinstance(row, Differential)}
    vocabulary = [primaries[slug] for slug in sorted(primaries)] + _with_broader_terms(diagnoses)
    return _serialize(fmt, vocabulary + rows)


def _with_broader_terms(diagnoses):
    """The diagnoses and every broader term above them (one query per level), each after its broader term."""
    missing = {d.broader_id for d in diagnoses.values()} - set(diagnoses) - {None}
    while missing:
        diagnoses.update((d.pk, d) for d in Diagnosis.objects.filter(pk__in=missing).select_related("broader"))
        missing = {d.broader_id for d in diagnoses.values()} - set(diagnoses) - {None}

    def depth(diagnosis, seen=()):
        parent = diagnoses.get(diagnosis.broader_id)
        return 0 if parent is None or parent.pk in seen else 1 + depth(parent, (*seen, diagnosis.pk))

    return sorted(diagnoses.values(), key=lambda d: (depth(d), d.slug))


def _snapshot(slug):
    case = _cases_with_rows().filter(slug=slug).first()
    return _serialize("python", _case_rows(case)) if case else None


# Import -----------------------------------------------------------------------------------

class CaseFileError(Exception):
    """A case file that cannot be imported; `errors` has one line per problem."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportReport:
    new: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)


@dataclass(eq=False)
class Entry:
    """One model and its fields, as the file gives them."""

    model: type
    fields: dict

    def natural_key(self):
        if self.model in (PrimaryTumour, Diagnosis, Case):
            return (self.fields.get("slug"),)
        other = "diagnosis" if self.model is Differential else "order"
        return (self.case_slug, _first(self.fields.get(other)))

    @property
    def case_slug(self):
        return self.fields.get("slug") if self.model is Case else _first(self.fields.get("case"))

    @property
    def where(self):
        if self.model is Case:
            return f"case {self.case_slug}"
        if self.model in (PrimaryTumour, Diagnosis):
            return f"{self.model._meta.verbose_name} {self.fields.get('slug')}"
        return f"case {self.case_slug}: {ROW_NAMES.get(self.model, 'differential')} {self.natural_key()[1]}"


def _first(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _parse(text, fmt):
    try:
        data = yaml.safe_load(text) if fmt == "yaml" else json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CaseFileError([f"The file is not valid {fmt.upper()}: {' '.join(str(exc).split())}"]) from exc
    if not isinstance(data, list):
        raise CaseFileError(["The file must be a list of entries, each a model and its fields."])
    entries, errors = [], []
    for number, item in enumerate(data, start=1):
        if not (isinstance(item, dict) and set(item) == {"model", "fields"} and isinstance(item["fields"], dict)):
            errors.append(f"entry {number}: give exactly a model and its fields (no pk: entries are known by slug)")
        elif item["model"] not in BY_LABEL:
            errors.append(f"entry {number}: unknown model {item['model']!r}")
        else:
            entries.append(Entry(BY_LABEL[item["model"]], item["fields"]))
    if errors:
        raise CaseFileError(errors)
    return entries


def _check_rows(entries):
    """Field names and values, duplicates, and the rules across a case's rows. Returns (errors, bad entries)."""
    errors, bad = [], set()

    def refuse(entry, message):
        errors.append(f"{entry.where}: {message}")
        bad.add(entry)

    allowed = {model: set(file_fields(model)) for model in MODELS}
    for entry in entries:
        for name, value in list(entry.fields.items()):
            if name not in allowed[entry.model]:
                # Reported, then left out so that the rest of the entry is still checked.
                del entry.fields[name]
                if is_derived(name):
                    errors.append(f"{entry.where}: {name}: derived from the markdown when the case is saved; remove it")
                else:
                    errors.append(f"{entry.where}: {name}: unknown field")
            elif entry.model._meta.get_field(name).is_relation:
                if value is not None and not (isinstance(value, list) and len(value) == 1):
                    refuse(entry, f"{name}: give the slug in brackets, e.g. [some-slug]")
            else:
                try:
                    entry.model._meta.get_field(name).to_python(value)
                except ValidationError as exc:
                    refuse(entry, f"{name}: {' '.join(exc.messages)}")

    seen = Counter()
    for entry in entries:
        key = (entry.model, repr(entry.natural_key()))
        seen[key] += 1
        if seen[key] == 2:
            field_name = {Differential: "diagnosis"}.get(entry.model, "order" if entry.model in CHILDREN else "slug")
            refuse(entry, f"{field_name}: appears twice in the file")

    case_slugs = {entry.case_slug for entry in entries if entry.model is Case}
    finals, sources = Counter(), Counter()
    for entry in entries:
        if entry.model in CHILDREN and entry.case_slug not in case_slugs:
            refuse(entry, "case: this case is not in the file (a file carries whole cases)")
        if entry.model is Differential and entry.fields.get("is_final") is True:
            finals[entry.case_slug] += 1
            if finals[entry.case_slug] > 1:
                refuse(entry, "is_final: a second final diagnosis; a case has exactly one")
        if entry.model is Reference and entry.fields.get("is_source") is True:
            sources[entry.case_slug] += 1
            if sources[entry.case_slug] > 1:
                refuse(entry, "is_source: a second source document; a case has at most one")
    for slug in sorted(case_slugs - set(finals), key=str):
        errors.append(f"case {slug}: differentials: no final diagnosis; mark one differential is_final: true")
    return errors, bad


def _validation_lines(entry, exc):
    for name, messages in exc.message_dict.items():
        if name == NON_FIELD_ERRORS:
            name = "levels" if entry.model in (LevelSpan, ImagingFinding) else "row"
        yield f"{entry.where}: {name}: {' '.join(messages)}"


def _save(entry):
    """Deserialize, validate and save one entry; return its error lines."""
    for name, value in entry.fields.items():
        related = entry.model._meta.get_field(name).related_model
        if related and value is not None:
            try:
                related._default_manager.get_by_natural_key(*value)
            except ObjectDoesNotExist:
                return [f"{entry.where}: {name}: no {related._meta.verbose_name} {value[0]!r} "
                        f"in the file or the database"]
    data = {"model": entry.model._meta.label_lower, "fields": entry.fields}
    try:
        (deserialized,) = serializers.deserialize(
            "python", [data], use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
    except DeserializationError as exc:
        return [f"{entry.where}: {exc}"]
    obj = deserialized.object
    obj._state.adding = obj.pk is None  # found by natural key: an update, so unique checks skip this row
    if entry.model is Case:
        _keep_bookkeeping(obj)
    try:
        obj.full_clean(exclude=[f.name for f in entry.model._meta.fields if is_derived(f.name)])
    except ValidationError as exc:
        return list(_validation_lines(entry, exc))
    if entry.model is Differential and obj.is_final and (spoiler := title_spoiler(obj.case.title, obj.diagnosis)):
        return [f"case {entry.case_slug}: title: contains “{spoiler}”, a name of the final diagnosis "
                f"{obj.diagnosis}; a title must not give the answer away"]
    try:
        with transaction.atomic():
            obj.save()  # Model.save(): markdown is rendered and sanitised here, never read from the file
            if entry.model is Case:
                for child in CHILDREN:  # the file's rows replace the case's rows
                    child.objects.filter(case=obj).delete()
    except DatabaseError as exc:
        return [f"{entry.where}: {exc}"]
    return []


def _keep_bookkeeping(case):
    old = Case.objects.filter(pk=case.pk).first()
    if old:
        case.created_at, case.published_at, case.published_by_id = old.created_at, old.published_at, old.published_by_id
    if not case.is_published:
        case.published_at, case.published_by_id = None, None
    elif case.published_at is None:
        case.published_at = timezone.now()


def _depends_on(entry):
    return {(f.related_model, _first(entry.fields[f.name]))
            for f in entry.model._meta.concrete_fields if f.is_relation and f.name in entry.fields}


def _broader_terms_first(entries):
    """The file's diagnoses, each after the broader term it names when the file carries that term too."""
    diagnoses = [entry for entry in entries if entry.model is Diagnosis]
    by_slug = {}
    for entry in diagnoses:
        by_slug.setdefault(repr(entry.fields.get("slug")), entry)
    ordered, placed = [], set()

    def place(entry, path=()):
        if id(entry) in placed or id(entry) in path:  # a cycle is left to the model's own check
            return
        parent = by_slug.get(repr(_first(entry.fields.get("broader"))))
        if parent is not None:
            place(parent, (*path, id(entry)))
        placed.add(id(entry))
        ordered.append(entry)

    for entry in diagnoses:
        place(entry)
    return ordered


def _load(entries, *, bad=frozenset(), skip_cases=frozenset()):
    """Save the entries, vocabulary first, each case before its rows; return error lines."""
    errors, failed = [], set()
    for model in MODELS:
        for entry in _broader_terms_first(entries) if model is Diagnosis else entries:
            if entry.model is not model or entry.case_slug in skip_cases:
                continue
            # Skip rows that point at an entry already refused: its own error says why.
            if entry in bad or _depends_on(entry) & failed:
                failed.add((model, entry.natural_key()[0]))
                continue
            problems = _save(entry)
            if problems:
                errors.extend(problems)
                failed.add((model, entry.natural_key()[0]))
    return errors


def import_cases(*, text, fmt="yaml", dry_run=False):
    """Validate a whole case file, then load it in one transaction; if invalid, raise CaseFileError, changing nothing."""
    entries = _parse(text, fmt)
    errors, bad = _check_rows(entries)
    slugs = sorted({entry.case_slug for entry in entries if entry.model is Case and entry not in bad}, key=str)
    report = ImportReport()
    with transaction.atomic():
        before = {slug: _snapshot(slug) for slug in slugs}
        errors += _load(entries, bad=bad)
        if not errors:
            for slug in slugs:
                if before[slug] is None:
                    report.new.append(slug)
                elif before[slug] == _snapshot(slug):
                    report.unchanged.append(slug)
                else:
                    report.updated.append(slug)
        transaction.set_rollback(True)  # this pass only validates
    if errors:
        raise CaseFileError(errors)
    if not dry_run:
        with transaction.atomic(), batched_edits():  # each case indexed once, however many rows it has
            errors = _load(entries, skip_cases=set(report.unchanged))
            if errors:  # the database changed under us since the validating pass
                raise CaseFileError(errors)
    return report
