"""Reading the admin's HTML as an editor sees it: the text next to a field."""

from html.parser import HTMLParser


class _FieldText(HTMLParser):
    VOID = {"input", "br", "img", "hr", "meta", "link", "col", "area", "base", "source", "wbr"}

    def __init__(self, css_class):
        super().__init__()
        self.css_class, self.depth, self.found, self.current = css_class, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        if self.current is not None:
            self.depth += 1
        elif self.css_class in (dict(attrs).get("class") or "").split():
            self.current, self.depth = [], 1

    def handle_endtag(self, tag):
        if self.current is None or tag in self.VOID:
            return
        self.depth -= 1
        if self.depth == 0:
            self.found.append(" ".join("".join(self.current).split()))
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def field_texts(html, name):
    """The text of each element of class `field-<name>` (its label, its value, its errors), in page order."""
    parser = _FieldText(f"field-{name}")
    parser.feed(html)
    return parser.found
