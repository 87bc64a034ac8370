"""Cases as files: Django fixtures with natural keys, for moving cases between installations.

A file lists primary tumours, diagnoses, then each case followed by its level spans, findings,
differentials and references. Derived fields (*_html, search_text) and bookkeeping (timestamps,
who published) are never written, and never read: markdown is rendered again on import.
"""

import datetime
import json
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field

import yaml
from django.core import serializers
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.pyyaml import DjangoSafeDumper
from django.db import DatabaseError, models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from modeltranslation.translator import NotRegistered, translator

from .editorial import case_spoilers, describe_spoilers
from .models import (
    CONTENT_LANGUAGES,
    Case,
    Diagnosis,
    Differential,
    ImagingFinding,
    LevelSpan,
    PrimaryTumour,
    Reference,
    batched_edits,
)

CHILDREN = [LevelSpan, ImagingFinding, Differential, Reference]
MODELS = [PrimaryTumour, Diagnosis, Case, *CHILDREN]  # the order of entries in a file
BY_LABEL = {model._meta.label_lower: model for model in MODELS}
NOT_IN_FILES = {
    "id",
    "search_text",
    "created_at",
    "updated_at",
    "published_at",
    "published_by",
    "is_synthetic",
    "key_image",  # derived from the case's images, which files do not carry yet
}
ROW_NAMES = {LevelSpan: "involved levels", ImagingFinding: "imaging finding", Reference: "reference"}


def is_derived(name):
    """Computed from other fields on save (markdown → HTML, search text, facet masks): never in files."""
    for language in CONTENT_LANGUAGES:
        name = name.removesuffix(f"_{language}")
    return name.endswith(("_html", "_mask")) or name == "search_text"


def translated(model):
    """The fields of `model` written in each language (cases/translation.py)."""
    try:
        return set(translator.get_options_for_model(model).fields)
    except NotRegistered:
        return set()


# In a file, a translated field's English is under its own name (`title`, as before French arrived)
# and its French under `title_fr`, left out when empty; the English column's own name never appears.
FILE_LANGUAGES = {"en": "", **{language: f"_{language}" for language in CONTENT_LANGUAGES if language != "en"}}


def file_fields(model):
    """The names a file may give for `model`'s fields."""
    names = []
    for f in model._meta.concrete_fields:
        if f.name in NOT_IN_FILES or is_derived(f.name) or f.name.endswith("_en") and f.name[:-3] in translated(model):
            continue
        names.append(f.name)
    return names


def column(model, name):
    """The model field a file's name stands for: `title` is the English column, `title_en`."""
    return f"{name}_en" if name in translated(model) else name


SERIALIZED_FIELDS = sorted({column(model, name) for model in MODELS for name in file_fields(model)})


# Export -----------------------------------------------------------------------------------


class _ReadableDumper(DjangoSafeDumper):
    """Django's YAML, with multi-line text as literal blocks and natural keys inline: [slug]."""

    def represent_str(self, data):
        return self.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)

    def represent_natural_key(self, data):
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_ReadableDumper.add_representer(str, _ReadableDumper.represent_str)
_ReadableDumper.add_representer(tuple, _ReadableDumper.represent_natural_key)


def _case_rows(case):
    differentials = sorted(case.differentials.all(), key=lambda d: (d.order, d.diagnosis.slug))
    return [case, *case.level_spans.all(), *case.findings.all(), *differentials, *case.references.all()]


def _cases_with_rows():
    return (
        Case.objects.order_by("slug")
        .select_related("known_primary")
        .prefetch_related(
            "level_spans",
            "findings",
            "references",
            Prefetch("differentials", queryset=Differential.objects.select_related("diagnosis__broader")),
        )
    )


def _file_entry(entry):
    """A serialized row as a file gives it: English under the field's name, French only when written."""
    model = BY_LABEL[entry["model"]]
    names = translated(model)
    fields = {}
    for name, value in entry["fields"].items():
        base, _, language = name.rpartition("_")
        if base in names and language in FILE_LANGUAGES:
            if language == "en":
                fields[base] = value or ""
            elif value:
                fields[name] = value
        else:
            fields[name] = value
    return {**entry, "fields": fields}


def _serialize(fmt, objects):
    options = {"fields": SERIALIZED_FIELDS, "use_natural_foreign_keys": True, "use_natural_primary_keys": True}
    entries = [_file_entry(entry) for entry in serializers.serialize("python", objects, **options)]
    if fmt == "yaml":
        return yaml.dump(entries, Dumper=_ReadableDumper, allow_unicode=True)
    if fmt == "json":
        return json.dumps(entries, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"
    return entries


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
    """Case slugs by what the import does to them; `vocabulary` the same for primaries and diagnoses."""

    new: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    vocabulary: dict = field(default_factory=lambda: {"new": [], "updated": [], "unchanged": []})


@dataclass(eq=False)
class Entry:
    """One model and its fields, as the file gives them."""

    model: type
    fields: dict
    number: int = 0

    def type_problems(self):
        """One line per field of the wrong type; numbers given for text become text ('pmid: 123')."""
        if not all(isinstance(name, str) for name in self.fields):
            return [f"entry {self.number}: field names must be text"]
        names = set(file_fields(self.model))
        problems = {
            name: _type_problem(self.model._meta.get_field(name), value)
            for name, value in self.fields.items()
            if name in names
        }
        for name, value in list(self.fields.items()):
            model_field = self.model._meta.get_field(name) if name in names else None
            if isinstance(model_field, (models.CharField, models.TextField)) and isinstance(value, (int, float)):
                self.fields[name] = str(value)
        # How the entry is known (its natural key): it must make sense before anything else is read.
        keys = {Differential: ["case", "diagnosis"]}.get(self.model, ["case"] if self.model in CHILDREN else ["slug"])
        for key in keys:
            if self.fields.get(key) is None or problems.get(key):
                where = f"entry {self.number} ({self.model._meta.verbose_name})"
                return [f"{where}: {key}: {problems.get(key) or 'required'}"]
        return [f"{self.where}: {name}: {problem}" for name, problem in problems.items() if problem]

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


# A case file is a list of entries, each a mapping whose fields hold a natural key at most: a few
# levels deep. Anything far larger or deeper is a mistake or an attack, refused before it is built.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 10


class _CaseFileLoader(yaml.SafeLoader):
    """Safe YAML without anchors or aliases (a few bytes of aliases can expand to gigabytes), nested a little."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (& and *) are not allowed in case files", event.start_mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _too_deep(data):
    """Whether parsed JSON nests past MAX_DEPTH (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, (list, dict)):
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return False


def _read(text, fmt):
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise CaseFileError([f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it into several."])
    try:
        if fmt == "yaml":
            return yaml.load(text, Loader=_CaseFileLoader)  # noqa: S506 (a SafeLoader subclass)
        data = json.loads(text)
    except RecursionError as exc:
        raise CaseFileError([f"The file is not valid {fmt.upper()}: nested too deeply"]) from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise CaseFileError([f"The file is not valid {fmt.upper()}: {' '.join(str(exc).split())}"]) from exc
    if _too_deep(data):
        raise CaseFileError([f"The file is not valid JSON: nested more than {MAX_DEPTH} levels deep"])
    return data


def _kind(value):
    return {list: "a list", dict: "a mapping", bool: "true/false", type(None): "nothing"}.get(type(value), "a value")


def _type_problem(model_field, value):
    """Why `value` cannot be this field's (a list for a title, a mapping for a level…), or None.

    Checked before anything is built from the file, so later steps meet only the types they expect.
    """
    if value is None:
        return None  # the model's own checks say whether the field may be empty
    if model_field.is_relation:
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
            return None
        return "give the slug in brackets, e.g. [some-slug]"
    if isinstance(model_field, models.JSONField):
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return None
        return f"give a list of names, e.g. [extradural], not {_kind(value)}"
    if isinstance(model_field, models.BooleanField):
        return None if isinstance(value, bool) else f"give true or false, not {_kind(value)}"
    if isinstance(model_field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            return f"give a whole number, not {_kind(value)}"
        return None
    if isinstance(model_field, models.DateTimeField):
        if isinstance(value, (str, datetime.datetime)):
            return None
        return f"give a date and time, e.g. 2027-03-01T08:00:00+01:00, not {_kind(value)}"
    if isinstance(model_field, (models.CharField, models.TextField)):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return f"give text, not {_kind(value)}"
        return None
    return None if isinstance(value, str) else f"give text, not {_kind(value)}"


def _parse(text, fmt):
    data = _read(text, fmt)
    if not isinstance(data, list):
        raise CaseFileError(["The file must be a list of entries, each a model and its fields."])
    entries, errors = [], []
    for number, item in enumerate(data, start=1):
        if not (isinstance(item, dict) and set(item) == {"model", "fields"} and isinstance(item["fields"], dict)):
            errors.append(f"entry {number}: give exactly a model and its fields (no pk: entries are known by slug)")
        elif not isinstance(item["model"], str) or item["model"] not in BY_LABEL:
            errors.append(f"entry {number}: unknown model {item['model']!r}")
        else:
            entry = Entry(BY_LABEL[item["model"]], item["fields"], number)
            problems = entry.type_problems() + [
                # No database stores a NUL character in text (PostgreSQL refuses it outright).
                f"entry {number}: {name}: contains a NUL character"
                for name, value in item["fields"].items()
                if isinstance(value, str) and "\x00" in value
            ]
            errors += problems
            if not problems:
                entries.append(entry)
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
                return [
                    f"{entry.where}: {name}: no {related._meta.verbose_name} {value[0]!r} in the file or the database"
                ]
    # The file's `title` is the English column. A row's French that the file leaves out is kept as the
    # database has it (a file written before French arrived must not erase it); other columns it
    # leaves out are empty.
    fields = {column(entry.model, name): value for name, value in entry.fields.items()}
    fields.update(_french_kept(entry, fields))
    for name in translated(entry.model):
        for language in CONTENT_LANGUAGES:
            name_in_language = f"{name}_{language}"
            fields.setdefault(name_in_language, None if entry.model._meta.get_field(name_in_language).null else "")
    data = {"model": entry.model._meta.label_lower, "fields": fields}
    try:
        (deserialized,) = serializers.deserialize(
            "python", [data], use_natural_foreign_keys=True, use_natural_primary_keys=True
        )
    except DeserializationError as exc:
        return [f"{entry.where}: {exc}"]
    obj = deserialized.object
    obj._state.adding = obj.pk is None  # found by natural key: an update, so unique checks skip this row
    for f in entry.model._meta.concrete_fields:  # a date and time with no offset is the site's local time
        value = getattr(obj, f.attname)
        if isinstance(f, models.DateTimeField) and isinstance(value, datetime.datetime) and timezone.is_naive(value):
            setattr(obj, f.attname, timezone.make_aware(value))
    if entry.model is Case:
        _keep_bookkeeping(obj)
    try:
        obj.full_clean(exclude=[f.name for f in entry.model._meta.fields if is_derived(f.name)])
    except ValidationError as exc:
        return list(_validation_lines(entry, exc))
    try:
        with transaction.atomic():
            obj.save()  # Model.save(): markdown is rendered and sanitised here, never read from the file
            if entry.model is Case:
                _remember_french_of_rows(obj)
                for child in CHILDREN:  # the file's rows replace the case's rows
                    child.objects.filter(case=obj).delete()
    except DatabaseError as exc:
        return [f"{entry.where}: {exc}"]
    return []


_kept_french = ContextVar("kept_french", default=None)


def _other_languages(model):
    return [f"{name}_{language}" for name in translated(model) for language in CONTENT_LANGUAGES if language != "en"]


def _remember_french_of_rows(case):
    """Before a case's rows are replaced: their French, by natural key, for rows the file gives without it."""
    kept = _kept_french.get()
    if kept is None:
        return
    for row in case.findings.all():
        kept[(ImagingFinding, (case.slug, row.order))] = {n: getattr(row, n) for n in _other_languages(ImagingFinding)}
    for row in case.differentials.select_related("diagnosis"):
        kept[(Differential, (case.slug, row.diagnosis.slug))] = {
            n: getattr(row, n) for n in _other_languages(Differential)
        }


def _french_kept(entry, fields):
    """The French columns the file leaves out, as the database holds them for this row (if it exists)."""
    missing = [name for name in _other_languages(entry.model) if name not in fields]
    if not missing:
        return {}
    if entry.model in (PrimaryTumour, Diagnosis, Case):
        return entry.model.objects.filter(slug=entry.fields.get("slug")).values(*missing).first() or {}
    kept = (_kept_french.get() or {}).get((entry.model, entry.natural_key()), {})
    return {name: kept[name] for name in missing if name in kept}


def _keep_bookkeeping(case):
    old = Case.objects.filter(pk=case.pk).first()
    if old:
        case.created_at, case.published_at, case.published_by_id = old.created_at, old.published_at, old.published_by_id
    if not case.is_published:
        case.published_at = None
        if case.status == Case.Status.DRAFT:
            case.published_by_id = None
    # A published case without a date gets one when saved (Case.settle_status).


def _depends_on(entry):
    return {
        (f.related_model, _first(entry.fields[f.name]))
        for f in entry.model._meta.concrete_fields
        if f.is_relation and f.name in entry.fields
    }


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
    kept = _kept_french.set({})
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
    _kept_french.reset(kept)
    return errors


def _spoiler_lines(entries):
    """As loaded (inside the validating pass): every case of the file, and every published case whose
    final diagnosis the file changes, must not name its answer before the reveal. One line per problem."""
    lines = []
    in_file = {entry.case_slug for entry in entries if entry.model is Case}
    for case in Case.objects.filter(slug__in=in_file).prefetch_related("findings").order_by("slug"):
        final = case.differentials.filter(is_final=True).select_related("diagnosis").first()
        for where, name in case_spoilers(case, final.diagnosis.names() if final else []):
            lines.append(
                f"case {case.slug}: {where}: contains “{name}”, a name of the final diagnosis "
                f"{final.diagnosis}; nothing before the reveal may give the answer away"
            )
    for entry in entries:
        if entry.model is not Diagnosis:
            continue
        diagnosis = Diagnosis.objects.filter(slug=entry.fields["slug"]).first()
        if diagnosis is None:
            continue
        cases = (
            Case.objects.exclude(status=Case.Status.DRAFT)
            .filter(differentials__diagnosis=diagnosis, differentials__is_final=True)
            .exclude(slug__in=in_file)
            .prefetch_related("findings")
            .order_by("slug")
        )
        for case in cases:
            if found := case_spoilers(case, diagnosis.names()):
                lines.append(
                    f"{entry.where}: its names would give away the published case {case.slug} "
                    f"(“{case.title}”): {describe_spoilers(found)}"
                )
    return lines


def _vocabulary_snapshot(entries):
    return {
        (entry.model, entry.fields["slug"]): _serialize("python", entry.model.objects.filter(slug=entry.fields["slug"]))
        or None
        for entry in entries
        if entry.model in (PrimaryTumour, Diagnosis)
    }


def import_cases(*, text, fmt="yaml", dry_run=False, images_follow=False):
    """Validate a whole case file, then load it in one transaction; if invalid, raise CaseFileError (no change).

    A case file does not carry images: a case it would change that has images is refused (the change
    would delete them), unless `images_follow` (an archive that carries them, imaging.archive).
    """
    entries = _parse(text, fmt)
    errors, bad = _check_rows(entries)
    slugs = sorted({entry.case_slug for entry in entries if entry.model is Case and entry not in bad}, key=str)
    with_images = set(
        ImagingFinding.objects.filter(case__slug__in=slugs, series__isnull=False).values_list("case__slug", flat=True)
    )
    report = ImportReport()
    with transaction.atomic():
        before = {slug: _snapshot(slug) for slug in slugs}
        vocabulary_before = _vocabulary_snapshot(entries)
        errors += _load(entries, bad=bad)
        if not errors:
            errors += _spoiler_lines(entries)
        if not errors:
            for slug in slugs:
                if before[slug] is None:
                    report.new.append(slug)
                elif before[slug] == _snapshot(slug):
                    report.unchanged.append(slug)
                else:
                    report.updated.append(slug)
            for (model, slug), after in _vocabulary_snapshot(entries).items():
                was = vocabulary_before[(model, slug)]
                status = "new" if was is None else "unchanged" if was == after else "updated"
                report.vocabulary[status].append(f"{model._meta.verbose_name} {slug}")
        transaction.set_rollback(True)  # this pass only validates
    if not images_follow:
        errors += [
            f"case {slug}: has images, which this file does not carry: importing it would delete them; "
            "import an archive made by export_cases --format zip instead"
            for slug in report.updated
            if slug in with_images
        ]
    if errors:
        raise CaseFileError(errors)
    if not dry_run:
        with transaction.atomic(), batched_edits():  # each case indexed once, however many rows it has
            errors = _load(entries, skip_cases=set(report.unchanged))
            if errors:  # the database changed under us since the validating pass
                raise CaseFileError(errors)
    return report
