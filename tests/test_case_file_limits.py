"""Case files from anywhere: bombs, deep nesting, huge files and wrong types are refused with one line each,
never a traceback, and nothing changes."""

import tempfile
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.casefiles import MAX_FILE_BYTES
from tests.test_case_files import GOOD, SLUG, database, entry, import_file, write

pytestmark = pytest.mark.django_db


def refused(tmp_path, data, name="cases.yaml"):
    before = database()
    with pytest.raises(CommandError) as error:
        import_file(write(tmp_path, data, name))
    assert database() == before
    return str(error.value)


def test_an_anchor_and_alias_are_refused_even_when_harmless(tmp_path):
    text = GOOD.replace(
        "fields: {name: Breast carcinoma, slug: breast-carcinoma}",
        "fields: &primary {name: Breast carcinoma, slug: breast-carcinoma}",
    )
    text += "- model: cases.primarytumour\n  fields: *primary\n"
    assert "anchors and aliases (& and *) are not allowed in case files" in refused(tmp_path, text)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]  # 9**10 strings
    text = "\n".join(lines) + "\n"
    assert len(text.encode()) < 1024
    assert "anchors and aliases" in refused(tmp_path, text)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "[" * 100_000 + "]" * 100_000),
        ("deep.json", "[" * 100_000 + "]" * 100_000),
        ("deep-mapping.yaml", "a: " + "{a: " * 50 + "1" + "}" * 50),
        ("deep-ok-json.json", '[{"model": "cases.case", "fields": ' + '{"a": ' * 20 + "1" + "}" * 20 + "}]"),
    ],
)
def test_deep_nesting_is_refused_without_a_traceback(tmp_path, name, text):
    assert "nested" in refused(tmp_path, text, name)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "#" * MAX_FILE_BYTES, encoding="utf-8")
    with pytest.raises(CommandError, match="larger than 5 MB"):
        import_file(str(path))


@pytest.mark.parametrize(
    ("model", "fields", "line"),
    [
        ("case", {"title": [1, 2]}, f"case {SLUG}: title: give text, not a list"),
        ("case", {"age": {"years": 52}}, f"case {SLUG}: age: give a whole number, not a mapping"),
        ("case", {"known_primary": "breast-carcinoma"}, f"case {SLUG}: known_primary: give the slug in brackets"),
        ("case", {"slug": {"a": 1}}, "entry 3 (case): slug: give text, not a mapping"),
        (
            "levelspan",
            {"first_level": "x"},
            f"case {SLUG}: involved levels 1: first_level: “x” value must be an integer",
        ),
        ("levelspan", {"first_level": [20]}, f"case {SLUG}: involved levels 1: first_level: give a whole number"),
        (
            "differential",
            {"is_final": "yes"},
            f"case {SLUG}: differential intradural-extramedullary-metastasis: is_final: give true or false",
        ),
        (
            "diagnosis",
            {"compartments": "extradural"},
            "diagnosis intradural-extramedullary-metastasis: compartments: give a list of names",
        ),
        ("imagingfinding", {"case": [[SLUG]]}, "entry 5 (imaging finding): case: give the slug in brackets"),
    ],
)
def test_a_wrong_type_is_one_line_naming_the_case_and_field(tmp_path, model, fields, line):
    data = yaml.safe_load(GOOD)
    entry(data, model)["fields"].update(fields)
    assert line in refused(tmp_path, data)


@pytest.mark.parametrize(
    "shape",
    [
        lambda data: data.__setitem__(2, [data[2]]),  # a case that is a list
        lambda data: data[2].__setitem__("fields", ["title"]),
        lambda data: data[2].__setitem__("model", ["cases.case"]),
        lambda data: data[2]["fields"].__setitem__(7, "seven"),
    ],
)
def test_an_entry_of_the_wrong_shape_is_one_line(tmp_path, shape):
    data = yaml.safe_load(GOOD)
    shape(data)
    assert "entry 3" in refused(tmp_path, data)


# Anything at all ------------------------------------------------------------------------------------

FIELD_NAMES = [
    "title",
    "slug",
    "case",
    "order",
    "age",
    "first_level",
    "last_level",
    "is_final",
    "diagnosis",
    "known_primary",
    "compartments",
    "broader",
    "name",
    "aliases",
    "presentation",
    "description",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**20),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from([SLUG, "breast-carcinoma", "intradural-extramedullary-metastasis", ""]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=3),
    max_leaves=8,
)
entries = st.fixed_dictionaries(
    {
        "model": st.sampled_from(
            [
                "cases.case",
                "cases.diagnosis",
                "cases.primarytumour",
                "cases.levelspan",
                "cases.imagingfinding",
                "cases.differential",
                "cases.reference",
                "auth.user",
            ]
        ),
        "fields": st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=6),
    }
)


def mutated_good():
    """The good file with one field of one entry (a field of that model, mostly) set to any value."""
    own_fields = st.integers(0, 6).flatmap(
        lambda index: st.tuples(
            st.just(index), st.sampled_from([*yaml.safe_load(GOOD)[index]["fields"], *FIELD_NAMES[:4]])
        )
    )
    shallow = st.one_of(
        scalars, st.lists(scalars, max_size=3), st.dictionaries(st.sampled_from(FIELD_NAMES), scalars, max_size=2)
    )
    return (
        st.tuples(own_fields, st.one_of(shallow, values))
        .map(lambda change: (*change[0], change[1]))
        .map(lambda change: _set(yaml.safe_load(GOOD), *change))
    )


def _set(data, index, name, value):
    data[index]["fields"][name] = value
    return data


def import_never_crashes(text, suffix):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cases{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            import_file(str(path), "--dry-run")
        except CommandError as error:
            assert "nothing changed" in str(error) and str(error).strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated_good())
def test_a_good_file_with_any_one_field_set_to_anything_gives_a_message_or_an_import(data):
    import_never_crashes(yaml.safe_dump(data, allow_unicode=True), ".yaml")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(st.lists(entries, max_size=4), values))
def test_any_yaml_shaped_input_gives_a_message_or_an_import_never_a_traceback(data):
    import_never_crashes(yaml.safe_dump(data, allow_unicode=True), ".yaml")


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(list("[]{}:,-&*!|>'\"#% \n\tab1") + ["cases.case", "fields", "model"]), max_size=40
    ).map("".join)
)
def test_any_text_gives_a_message_or_an_import_never_a_traceback(text):
    import_never_crashes(text, ".yaml")
    import_never_crashes(text, ".json")
