"""The page a Next.js app-router site draws in the browser, rebuilt from its React flight data.

An app-router page carries its whole element tree a second time, as React Server Components
"flight" rows pushed by inline scripts (``self.__next_f.push([1, "…"])``): ``6:["$","p",null,
{"className":"lead","children":"…"}]``. A component that renders only in the browser (Next.js
marks the spot ``BAILOUT_TO_CLIENT_SIDE_RENDERING``) leaves no text in the markup at all: its data
is in the rows, as props, typically a rich-text document (a list of paragraph nodes of text runs:
Sanity's portable text, Contentful's or Slate's documents). So the markup of such a page may hold
the lead and nothing else, or only the headline and its furniture.

This module turns the rows back into HTML: host elements as themselves, components as their
children plus, for a prop that is a rich-text document, its paragraphs. The HTML extractor reads
that page like any other (``extractors.html``); it is asked only on pages that carry flight rows.
No framework path is looked up: rows, references (``$L6``, ``$6``) and elements are React's
wire format, the same for every site.
"""

from __future__ import annotations

import html
import json
import re

from extractors.embedded_state import document_paragraphs  # a rich-text document as paragraphs

MARKER = "self.__next_f.push("
MAX_FLIGHT_CHARS = 5_000_000  # like a script state: larger is a catalogue, not one page
MAX_DEPTH = 200
MAX_NODES = 200_000
_PUSH = re.compile(r"self\.__next_f\.push\((\[.*?\])\)\s*;?\s*$", re.S)
_ROW = re.compile(rb"([0-9a-fA-F]+):")
_REFERENCE = re.compile(r"^\$L?([0-9a-fA-F]+)$")
# never rendered: scripts, styles, head furniture (the real markup's head is read for metadata)
_SKIPPED = frozenset("script style template noscript head meta link title svg iframe".split())
_ATTRIBUTES = {"className": "class", "id": "id", "href": "href", "itemProp": "itemprop", "dateTime": "datetime",
               "rel": "rel", "role": "role", "aria-label": "aria-label", "lang": "lang"}
_VOID = frozenset("br hr img input wbr".split())


def flight_stream(tree) -> str:
    """The flight rows' text: every ``self.__next_f.push([1, "…"])`` string, in page order."""
    parts: list[str] = []
    size = 0
    for script in tree.iter("script"):
        text = script.text or ""
        if MARKER not in text or script.get("src"):
            continue
        found = _PUSH.search(text.strip())
        if not found:
            continue
        try:
            pushed = json.loads(found.group(1))
        except (ValueError, RecursionError):
            continue
        if isinstance(pushed, list) and len(pushed) >= 2 and pushed[0] == 1 and isinstance(pushed[1], str):
            parts.append(pushed[1])
            size += len(pushed[1])
            if size > MAX_FLIGHT_CHARS:
                return ""
    return "".join(parts)


def flight_rows(stream: str) -> dict[str, object]:
    """Row id → value: JSON rows decoded, text rows (``T<hex length>,<text>``) as strings; module
    imports, hints and errors (``I[…]``, ``HL[…]``, ``E{…}``) left out."""
    rows: dict[str, object] = {}
    data = stream.encode("utf-8")  # a text row's length counts UTF-8 bytes
    at = 0
    while at < len(data):
        found = _ROW.match(data, at)
        if not found:
            newline = data.find(b"\n", at)
            if newline == -1:
                break
            at = newline + 1
            continue
        row_id, at = found.group(1).decode().lower(), found.end()
        if data[at:at + 1] == b"T":
            comma = data.find(b",", at)
            try:
                length = int(data[at + 1:comma], 16)
            except ValueError:
                break
            rows[row_id] = data[comma + 1:comma + 1 + length].decode("utf-8", "replace")
            at = comma + 1 + length
            continue
        newline = data.find(b"\n", at)
        end = len(data) if newline == -1 else newline
        line = data[at:end].decode("utf-8", "replace")
        at = end + 1
        if line[:1] in ('[', '{', '"') or line == "null":
            try:
                rows[row_id] = json.loads(line)
            except (ValueError, RecursionError):
                continue
    return rows


class _Renderer:
    def __init__(self, rows: dict[str, object]):
        self.rows = rows
        self.open: set[str] = set()  # rows being rendered: a reference cycle renders once
        # Rows referenced twice each, in a chain, draw 2^n copies: a hostile page's bomb. The
        # drawing stops after this many nodes or characters (a real page draws a few thousand).
        self.budget_nodes, self.budget_chars = MAX_NODES, 2 * MAX_FLIGHT_CHARS

    def row(self, reference: str, depth: int, as_children: bool) -> str:
        found = _REFERENCE.match(reference)
        if not found:
            return ""
        row_id = found.group(1).lower()
        value = self.rows.get(row_id)
        if value is None or row_id in self.open:
            return ""
        self.open.add(row_id)
        try:
            return self.render(value, depth + 1, as_children)
        finally:
            self.open.discard(row_id)

    def render(self, value: object, depth: int, as_children: bool) -> str:
        """``as_children``: strings are text (an element's children); elsewhere (a row, a router
        state) only the elements found in it are drawn."""
        self.budget_nodes -= 1
        if depth > MAX_DEPTH or self.budget_nodes < 0 or self.budget_chars < 0:
            return ""
        if isinstance(value, str):
            if value.startswith("$$"):  # an escaped dollar sign
                return html.escape(value[1:]) if as_children else ""
            if value.startswith("$"):  # a reference to a row; "$undefined", "$Sreact.fragment": nothing
                return self.row(value, depth, as_children)
            if not as_children:
                return ""
            self.budget_chars -= len(value)
            return html.escape(value)
        if isinstance(value, list):
            if len(value) == 4 and value[0] == "$" and isinstance(value[1], str):
                return self.element(value[1], value[3] if isinstance(value[3], dict) else {}, depth)
            return "".join(self.render(item, depth + 1, as_children) for item in value)
        if isinstance(value, dict) and not as_children:
            return "".join(self.render(item, depth + 1, False) for item in value.values() if isinstance(item, (list, dict)))
        return ""

    def element(self, kind: str, props: dict, depth: int) -> str:
        children = self.render(props.get("children"), depth + 1, True)
        if kind.startswith("$"):  # a component (or a fragment): its children, and its rich text
            documents = "".join(self.document(value) for key, value in props.items() if key != "children")
            if isinstance(props.get("href"), str):  # a link component (Next's <Link>) draws a link
                children = f'<a href="{html.escape(props["href"])}">{children}</a>'
            return children + documents
        tag = kind.lower()
        if tag in _SKIPPED or not tag.isalnum():
            return ""
        attributes = "".join(f' {name}="{html.escape(props[key])}"' for key, name in _ATTRIBUTES.items()
                             if isinstance(props.get(key), str))
        if tag in _VOID:
            return f"<{tag}{attributes}>"
        return f"<{tag}{attributes}>{children}</{tag}>"

    @staticmethod
    def document(value: object) -> str:
        """A prop holding a rich-text document (a list of paragraph nodes), as paragraphs."""
        if not isinstance(value, list) or not any(isinstance(item, dict) for item in value):
            return ""
        return "".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in document_paragraphs(value))


def flight_page(tree) -> str | None:
    """The page's body as the browser draws it, from its flight rows (None without any)."""
    stream = flight_stream(tree)
    if not stream:
        return None
    rows = flight_rows(stream)
    renderer = _Renderer(rows)
    body = renderer.row("$0", 0, False) if "0" in rows else ""
    if not body:
        referenced = set(re.findall(r'"\$L?([0-9a-fA-F]+)"', stream))
        body = "".join(renderer.render(value, 0, False) for key, value in rows.items() if key not in referenced)
    return f"<html><body>{body}</body></html>" if body else None
