"""The French catalogues: complete, compiled, and in step with the strings the code and templates mark."""

import ast
import gettext
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGUES = [LOCALE / "fr" / "LC_MESSAGES" / f"{domain}.po" for domain in ("django", "djangojs")]
# What `make messages` reads (it ignores the rest of the project; see the Makefile).
SOURCES = ["casebook", "cases", "quiz", "imaging", "teaching", "study", "templates", "static"]


def entries(path):
    """[(flags, msgctxt, msgid, msgid_plural, [msgstr…])] of a .po file, obsolete entries left out."""
    found = []
    for block in Path(path).read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        flags = {flag.strip() for line in lines if line.startswith("#,") for flag in line[2:].split(",")}
        fields, current = {}, None
        for line in lines:
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line)
            if match:
                current = match.group(1)
                fields[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if fields.get("msgid"):  # the header has an empty msgid
            strings = [value for key, value in sorted(fields.items()) if key.startswith("msgstr")]
            found.append((flags, fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"), strings))
    return found


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_every_french_string_is_translated_and_none_is_fuzzy(path):
    untranslated = [msgid for _, _, msgid, _, strings in entries(path) if not all(strings)]
    fuzzy = [msgid for flags, _, msgid, _, _ in entries(path) if "fuzzy" in flags]
    assert not untranslated, f"untranslated in {path.name}: {untranslated}"
    assert not fuzzy, f"fuzzy in {path.name} (check the translation, then remove the flag): {fuzzy}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: p.name)
def test_the_compiled_catalogue_is_the_current_one(path):
    """The committed .mo holds exactly the .po's translations: run `make messages` after editing a .po."""
    with open(path.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for _, context, msgid, plural, strings in entries(path):
        key = f"{context}\x04{msgid}" if context else msgid
        if plural:
            expected.update({(key, n): string for n, string in enumerate(strings)})
        else:
            expected[key] = strings[0]
    compiled = {key: value for key, value in compiled.items() if key != ""}  # the header
    assert compiled == expected


def test_the_catalogues_hold_every_marked_string(tmp_path, monkeypatch):
    """A string marked in the code or a template, but not yet in locale/fr/, fails here: run `make messages`."""
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("GNU gettext is missing: `make test` installs Debian's gettext")
        pytest.skip("GNU gettext is not installed (run `make test`, which installs it)")
    # makemessages writes to a locale/ beside the files it reads: give it the sources through links, in a
    # folder whose only locale/ is a copy, so that the committed catalogues are never touched.
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy)
    for source in SOURCES:
        (tmp_path / source).symlink_to(Path(settings.BASE_DIR) / source)
    monkeypatch.chdir(tmp_path)
    with override_settings(LOCALE_PATHS=[copy]):
        for domain in ("django", "djangojs"):
            call_command("makemessages", locale=["fr"], domain=domain, symlinks=True, no_obsolete=True, verbosity=0)
    for path in CATALOGUES:
        fresh = {
            (context, msgid, plural)
            for _, context, msgid, plural, _ in entries(copy / "fr" / "LC_MESSAGES" / path.name)
        }
        committed = {(context, msgid, plural) for _, context, msgid, plural, _ in entries(path)}
        assert fresh - committed == set(), f"marked but missing from {path.name}"
        assert committed - fresh == set(), f"in {path.name} but no longer marked anywhere"
