"""The sanitiser: whatever an editor or an imported file writes, no script reaches a resident."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.markdown import render_markdown

XSS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "xss"

SAFE_TAGS = {
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
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class TagCollector(HTMLParser):
    """What a browser would build from the HTML: every element and its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_safe(html):
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.elements:
        assert tag in SAFE_TAGS, html
        assert not [name for name in attrs if name.startswith("on") or name == "style"], html
        # As a browser reads a URL: tabs and newlines removed, leading controls and spaces stripped.
        href = re.sub(r"^[\x00-\x20]+", "", re.sub(r"[\t\n\r]", "", attrs.get("href") or "")).lower()
        scheme = re.match(r"^[a-z][a-z0-9+.-]*:", href)
        assert not scheme or href.startswith(SAFE_SCHEMES), html


HAND_WRITTEN = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "![img](javascript:alert(1))",
    "![img](https://example.org/x.png)",
    '<a href="javascript:alert(1)">x</a>',
    '<img src=x onerror="alert(1)">',
    '<p onclick="alert(1)">hi</p>',
    "<iframe src=//evil></iframe>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<svg/onload=alert(1)>",
    "`<script>` in code is text",
    "<<script>script>alert(1)<</script>/script>",
]


@pytest.mark.parametrize("source", HAND_WRITTEN)
def test_hand_written_markdown_vectors_are_neutralised(source):
    assert_safe(render_markdown(source))


def test_ordinary_markdown_survives():
    html = render_markdown("Cord **compression** at *T6*.\n\n- one\n- two\n\n[DOI](https://doi.org/10.1/x)")
    assert "<strong>compression</strong>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://doi.org/10.1/x" rel="noopener noreferrer">DOI</a>' in html


def test_script_text_in_code_is_escaped_not_executed():
    assert "&lt;script&gt;" in render_markdown("`<script>`")


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_no_input_produces_a_dangerous_tag(text):
    assert_safe(render_markdown(text))


@given(
    st.lists(
        st.sampled_from(
            [
                "<",
                ">",
                "a",
                "script",
                "=",
                "on",
                "error",
                "javascript:",
                '"',
                "'",
                "[",
                "]",
                "(",
                ")",
                " ",
                "\n",
                "href",
                "img",
                "&#",
                "x61;",
                "src",
            ]
        ),
        max_size=40,
    )
)
@settings(max_examples=300, deadline=None)
def test_no_fragment_soup_produces_a_dangerous_tag(parts):
    assert_safe(render_markdown("".join(parts)))


def xss_payloads():
    if not XSS_DIR.is_dir():
        return []
    payloads = []
    for path in sorted(XSS_DIR.glob("*.txt")):
        payloads += [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return payloads


def test_public_xss_corpus_is_neutralised():
    payloads = xss_payloads()
    if not payloads:
        pytest.skip(f"XSS corpus not found at {XSS_DIR} (CI has ../shared beside the clone)")
    assert len(payloads) > 900
    for payload in payloads:
        assert_safe(render_markdown(payload))
