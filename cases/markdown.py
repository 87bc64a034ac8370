"""The one place markdown becomes HTML. Everything it returns is sanitised.

Callers store the result in a ``*_html`` field at save time; templates mark only those
fields safe. bleach is used here and nowhere else, so it can be swapped in one place.
"""

from functools import partial

import markdown as markdown_lib
from bleach.linkifier import LinkifyFilter
from bleach.sanitizer import Cleaner

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "em",
        "strong",
        "b",
        "i",
        "sub",
        "sup",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h3",
        "h4",
        "h5",
        "a",
        "abbr",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "th": ["scope"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _external_links(attrs, new=False):
    href_key = (None, "href")
    if attrs.get(href_key, "").startswith(("http://", "https://")):
        attrs[(None, "rel")] = "noopener noreferrer"
    return attrs


_CLEANER = Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_external_links], skip_tags={"pre", "code"})],
)


def sanitise_html(html):
    """Strip every tag, attribute and URL scheme that is not on the allowlist; link bare URLs."""
    return _CLEANER.clean(html)


def render_markdown(source):
    """Markdown source → sanitised HTML (empty string for empty source)."""
    if not source or not source.strip():
        return ""
    html = markdown_lib.markdown(source, extensions=["extra", "sane_lists"], output_format="html")
    return sanitise_html(html)
