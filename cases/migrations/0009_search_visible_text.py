"""Search what the page shows: recompute each case's search text from its rendered presentation and findings.

Until now the stored text came from the markdown, so a search matched link addresses and comments
the page never shows. The computation is copied here, as it stands, so that this migration never
depends on later code.
"""

import re
import unicodedata
from html import unescape

from django.db import migrations
from django.utils.html import strip_tags


def _fold(text):
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _visible(html):
    return unescape(strip_tags(html or ""))


def search_visible_text(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for case in Case.objects.only("title", "presentation_html").iterator(chunk_size=2000):
        texts = [case.title, _visible(case.presentation_html)]
        for finding in case.findings.all():
            texts += [finding.technique, finding.signal, finding.enhancement, _visible(finding.description_html)]
        Case.objects.filter(pk=case.pk).update(search_text=_fold("\n".join(texts)))


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_angiography_and_ultrasound")]
    operations = [migrations.RunPython(search_visible_text, migrations.RunPython.noop)]
