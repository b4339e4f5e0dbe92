"""Repairs of a page's tree before extraction, not removals: tables used for layout become
divs, and an article body a CMS cut into sibling chunks is joined into one container. Both keep
every word; they only change the structure extractors choose a container from.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_WORD = re.compile(r"\w+")
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "form", "article", "section"}


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def unwrap_layout_tables(tree: HtmlElement) -> None:
    """Turn tables used for page layout into divs, so trafilatura reads their paragraphs as
    paragraphs instead of flattening a whole column into one table row. A table is layout when
    one of its own cells holds a block of real text, more prose than data tables carry, or another
    table (data tables do not nest), or when no row has two cells: a box drawn with a table (an
    old portal's "Weather" or "Mini-chat" block, a headline row above its content row)."""
    for table in list(tree.iter("table")):
        cells = [c for c in table.iter("td", "th") if _owner_table(c) is table]
        if not cells or not (_one_column(table) or any(_is_layout_cell(c) for c in cells)):
            continue
        own = [e for e in table.iter("tbody", "thead", "tfoot", "tr", "td", "th") if _owner_table(e) is table]
        for element in [table, *own]:  # rename only after every owner was looked up
            element.tag = "div"
            for attr in ("colspan", "rowspan"):
                element.attrib.pop(attr, None)


def _owner_table(element: HtmlElement) -> HtmlElement | None:
    for ancestor in element.iterancestors("table"):
        return ancestor
    return None


def _one_column(table: HtmlElement) -> bool:
    """No row with two cells, and no image: a box drawn with a table. An image with its caption
    in rows of their own (Blogger's ``tr-caption-container``) is a figure, which the extractors
    read as one (measured: as divs, a paragraph after such a figure was lost)."""
    rows = [row for row in table.iter("tr") if _owner_table(row) is table]
    return (bool(rows) and all(sum(1 for cell in row if cell.tag in ("td", "th")) <= 1 for row in rows)
            and next(table.iter("img"), None) is None)


def _is_layout_cell(cell: HtmlElement) -> bool:
    if any(True for _ in cell.iterdescendants("table")):
        return True
    text = cell.text_content()
    words = _words(text)
    if words > 120:
        return True
    # prose, not data: sentences (an old page's article in one <font>, its paragraphs split by <br>)
    if words >= LAYOUT_PROSE_WORDS and len(_SENTENCE_ENDS.findall(text)) >= 3:
        return True
    return any(child.tag in _BLOCKS and _words(child.text_content()) > 25 for child in cell)


LAYOUT_PROSE_WORDS = 50
_SENTENCE_ENDS = re.compile(r"[^\W\d_]{2}[.!?…։](?:\s|$)")


def merge_split_bodies(tree: HtmlElement) -> None:
    """Join an article body that the CMS cut into sibling chunks (ads or embeds between them).

    Extractors choose one container; when the text sits in several same-class siblings that
    each hold prose, all but the first would be lost. The later chunks' children are moved into
    the first chunk, so one container holds the whole text."""
    parents: dict[HtmlElement, None] = {}
    prose: set[HtmlElement] = set()  # each paragraph judged once: merging moves paragraphs, never changes one's text
    for p in tree.iter("p"):
        if _is_prose(p):
            prose.add(p)
            for level, ancestor in enumerate(p.iterancestors()):
                if level >= 4:
                    break
                if level >= 1:
                    parents[ancestor] = None
    # outermost first: merging chunks can bring inner same-class siblings together
    for chunk_parent in sorted(parents, key=lambda e: sum(1 for _ in e.iterancestors())):
        groups: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in chunk_parent:
            if child.tag in ("div", "section") and child.get("class"):
                groups.setdefault((child.tag, child.get("class")), []).append(child)
        for members in groups.values():
            if len(members) < 2:
                continue
            chunks = [m for m in members if any(p in prose for p in m.iter("p"))]
            if len(chunks) < 2:
                continue
            if sum(1 for m in chunks if next(m.iter("h1"), None) is not None) >= 2:
                continue  # each with its own headline: an endless page's next story, not a chunk of this one
            # every chunk from the first with prose to the last, short ones between included (a
            # one-sentence chunk, a live blog's short entry): moved in page order, never reordered
            first = chunks[0]
            for other in members[members.index(first) + 1:members.index(chunks[-1]) + 1]:
                for grandchild in list(other):
                    first.append(grandchild)
                other.getparent().remove(other)


def _is_prose(p: HtmlElement) -> bool:
    return _words(p.text_content()) >= 25
