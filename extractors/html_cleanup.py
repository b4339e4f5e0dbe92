"""General boilerplate rules applied around trafilatura: on the tree before, on paragraphs after.

trafilatura already drops most navigation, share bars and sidebars by class names. What it
misses on news pages, and what is handled here, is found by *structure* and by *language-aware
label patterns*, never by one site's markup:

* "Read also" / "Lire aussi" / "Читайте также" boxes inside the body (a short block that starts
  with such a label, or a heading with such a label over a list of links);
* tables of contents (lists whose links all point inside the page);
* link-dense cells of table-layout portals (navigation and side columns);
* reader comments (so that neither the text nor the date comes from them);
* captions and photo credits, "Source link" lines, share counters, repeated paragraphs.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from lxml.html import HtmlElement

# Labels that introduce links to other articles. Anchored at the start of a block; the block
# must also be short (see _is_short_label_block), so a sentence that merely begins with
# "See also" in running prose is rare to hit and cheap when it is.
_RELATED_LABEL = re.compile(
    r"^\W*(?:"
    r"read (?:also|more|next)|also read|see also|related(?: (?:articles?|posts?|stories|news|content|topics?|links?|reading))?"
    r"|more (?:on this|from|stories|news|articles|in)|you (?:may|might) (?:also )?(?:like|be interested)|recommended(?: for you)?"
    r"|most (?:read|popular|viewed)|latest (?:news|posts|articles)|new articles|top stories|trending|don'?t miss"
    r"|(?:à |a )?lire (?:aussi|également|ensuite)|voir aussi|à voir (?:aussi|également)|sur le même sujet|dans la même rubrique"
    r"|lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|leggi anche|leia (?:também|mais)|lea también|te puede interesar"
    r"|читайте (?:также|тоже|еще|ещё)|смотрите также|см\. также|по теме|читать также|популярное|последние новости|другие новости"
    r"|также читайте|новости по теме|рекомендуем"
    r"|կարդացեք նաև|կարդա նաև|տես նաև|առնչվող|ასევე (?:წაიკითხეთ|იხილეთ|ნახეთ)|მსგავსი სიახლეები"
    r"|həmçinin (?:oxuyun|bax)|oxşar xəbərlər|digər xəbərlər|ayrıca (?:okuyun|bakınız)|ilgili haberler|bunlar da ilginizi"
    r")\b\s*[:.»>\-–—]?",
    re.I,
)
# A whole block that is only a label like "Related Posts" (heading of a related box).
_LABEL_ONLY_WORDS = 6

_COMMENTS_TOKEN = re.compile(
    r"^(?:comments?|comment-?(?:list|area|s?-?section|wrap(?:per)?|block|form|thread|s-area|s-wrap(?:per)?)|commentlist|respond"
    r"|disqus_thread|dsq-comments|discussion|reader-?comments|fb-comments|comments-?(?:area|list|section|block|container))$",
    re.I,
)
_BOX_TOKEN = re.compile(
    r"(?:^|[-_])(?:related|read-?also|see-?also|also-?read|more-?(?:stories|news|articles|posts)|recommend(?:ed|ations)?"
    r"|toc|table-?of-?contents|ez-toc|wp-caption-text|figcaption|caption|photo-?credit|image-?credit|credits?"
    r"|post-?navigation|nav-?links|share-?(?:bar|buttons|count|total)|social-?(?:share|links|icons)|jp-relatedposts)(?:$|[-_])",
    re.I,
)
_WORD = re.compile(r"\w+")


def _tokens(element: HtmlElement) -> list[str]:
    return (element.get("class") or "").split() + ([element.get("id")] if element.get("id") else [])


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _link_words(element: HtmlElement) -> int:
    return sum(_words(a.text_content()) for a in element.iter("a"))


def _drop(element: HtmlElement) -> None:
    """Remove an element but keep its tail text (which belongs to the parent's flow)."""
    parent = element.getparent()
    if parent is None:
        return
    element.drop_tree()


def _remove_all(elements: Iterable[HtmlElement]) -> int:
    removed = 0
    for element in list(elements):
        if element.getparent() is not None:
            _drop(element)
            removed += 1
    return removed


def _comment_sections(tree: HtmlElement) -> Iterable[HtmlElement]:
    for element in tree.iter("div", "section", "ol", "ul", "aside", "footer"):
        if any(_COMMENTS_TOKEN.match(t) for t in _tokens(element)):
            yield element


def _named_boxes(tree: HtmlElement) -> Iterable[HtmlElement]:
    for element in tree.iter("div", "section", "aside", "ul", "ol", "nav", "p", "span", "figcaption", "small"):
        tokens = _tokens(element)
        if tokens and any(_BOX_TOKEN.search(t) for t in tokens) and _words(element.text_content()) < 400:
            yield element


def _label_blocks(tree: HtmlElement) -> Iterable[HtmlElement]:
    """Short blocks opening with a related-articles label, or such a heading and its list."""
    for element in tree.iter("p", "div", "aside", "section", "blockquote", "h2", "h3", "h4", "h5", "h6", "strong", "b", "li"):
        text = element.text_content().strip()
        if not text or len(text) > 600 or not _RELATED_LABEL.match(text):
            continue
        words = _words(text)
        if element.tag in ("h2", "h3", "h4", "h5", "h6") or words <= _LABEL_ONLY_WORDS:
            yield from _heading_and_list(element, words)
        elif words <= 40 or _link_words(element) >= 0.5 * words:
            yield element


def _heading_and_list(label: HtmlElement, label_words: int) -> Iterable[HtmlElement]:
    """A label over a list of links: drop the label and the link list following it."""
    if label_words > _LABEL_ONLY_WORDS:
        return
    yield label
    sibling = label.getnext()
    if sibling is not None:
        words = _words(sibling.text_content())
        if words and _link_words(sibling) >= 0.5 * words:
            yield sibling


def _in_page_link_lists(tree: HtmlElement) -> Iterable[HtmlElement]:
    """Tables of contents: lists of at least three links that all point inside the page."""
    for element in tree.iter("ul", "ol"):
        links = [a.get("href") or "" for a in element.iter("a")]
        if len(links) >= 3 and all(h.startswith("#") for h in links):
            parent = element.getparent()
            # the list's own box (title "Contents" + list), when it holds nothing else
            if parent is not None and parent.tag in ("div", "nav", "aside") and _words(parent.text_content()) <= _words(element.text_content()) + 4:
                yield parent
            else:
                yield element


def _link_dense_cells(tree: HtmlElement) -> Iterable[HtmlElement]:
    """Table-layout navigation and side columns: cells that are mostly links."""
    for cell in tree.iter("td", "th"):
        text = cell.text_content()
        words = _words(text)
        if words < 8:
            continue
        links = sum(1 for _ in cell.iter("a"))
        if links >= 4 and _link_words(cell) >= 0.6 * words:
            yield cell


def _hidden(tree: HtmlElement) -> Iterable[HtmlElement]:
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("hidden") is not None or element.tag in ("template", "noscript"):
            yield element


def prune_tree(tree: HtmlElement, *, comments: bool = True) -> HtmlElement:
    """Remove boilerplate regions in place (see module docstring); returns the tree."""
    steps: list[Callable[[HtmlElement], Iterable[HtmlElement]]] = [
        _hidden, _named_boxes, _label_blocks, _in_page_link_lists, _link_dense_cells,
    ]
    if comments:
        steps.insert(0, _comment_sections)
    body = tree.find("body")
    root = body if body is not None else tree
    for step in steps:
        _remove_all(step(root))
    return tree


# --- paragraph level -------------------------------------------------------------------------

_SOURCE_LINE = re.compile(
    r"^\W*(?:source link|original (?:article|source)|view original|link to (?:the )?source|источник|первоисточник|source)\W*$", re.I)
_CREDIT_LINE = re.compile(
    r"^\W*(?:photo(?:graph)?s?|images?|pictures?|credits?|illustration|video|фото|фото:|foto|ფოტო|լուսանկար(?:ը)?|şəkil|kaynak)"
    r"\s*(?:by|:|/|©|—|–|-|՝)|"
    r"(?:getty images|shutterstock|ap photo|afp photo|reuters/|epa-efe|photo:|фото:|©)", re.I)
_SHARE_WORDS = re.compile(
    r"^(?:\d+(?:[.,]\d+)?[kKmM]?|shares?|tweet|pin|e-?mail|print|facebook|twitter|x|whatsapp|telegram|linkedin|vk|ok"
    r"|reddit|copy link|comments?|views?|поделиться|просмотров|комментариев|partager|paylaş|\W+)$", re.I)


def is_boilerplate_paragraph(line: str) -> bool:
    """A paragraph that is chrome on any site: labels, source/credit lines, share counters."""
    text = line.strip().lstrip("-• ").strip()
    if not text:
        return True
    words = _words(text)
    if _SOURCE_LINE.match(text):
        return True
    if words <= 25 and _RELATED_LABEL.match(text):
        return True
    if words <= 12 and _CREDIT_LINE.search(text) and not text.rstrip().endswith((".", "!", "?")) or (
            words <= 12 and re.match(r"^\W*(?:photo|фото|foto)\b", text, re.I)):
        return True
    parts = re.split(r"[\s|·•]+", text)
    if len(parts) <= 8 and all(_SHARE_WORDS.match(p) for p in parts if p):
        return True
    return False


def clean_paragraphs(text: str, known_boilerplate: frozenset[str] = frozenset(),
                     fingerprint: Callable[[str], str] | None = None) -> list[str]:
    """Paragraphs of the extracted text without chrome, repeats and known site boilerplate."""
    kept: list[str] = []
    seen: set[str] = set()
    for line in text.split("\n"):
        para = " ".join(line.split())
        if not para or is_boilerplate_paragraph(para):
            continue
        key = para.casefold()
        if len(para) >= 30 and key in seen:
            continue  # the same paragraph twice (a teaser repeated, body repeated in a data blob)
        if known_boilerplate and fingerprint is not None and fingerprint(para) in known_boilerplate:
            continue
        seen.add(key)
        kept.append(para)
    return kept
