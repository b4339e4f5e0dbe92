"""Boilerplate regions removed from the parsed page before trafilatura reads it.

trafilatura already drops most navigation, share bars and sidebars by class names. What it
misses on news pages, and what is removed here, is found by *structure* and by *language-aware
label patterns* (``html_cleanup.starts_with_label``), never by one site's markup:

* "Read also" / "Lire aussi" / "Читайте также" boxes inside the body (a short block that starts
  with such a label, or a heading with such a label over a list of links);
* tables of contents (lists whose links all point inside the page);
* link-dense cells of table-layout portals (navigation and side columns);
* reader comments (so that neither the text nor the date comes from them);
* captions, photo credits, share bars, pop-ups and tag lists by their class names.

Then layout tables are turned into divs and article bodies cut into sibling chunks are joined
(``extractors.html_repair``); footnote marks go.
"""

from __future__ import annotations

import functools
import re
from typing import Iterator

from lxml import etree
from lxml.html import HtmlElement

from extractors.html_cleanup import starts_with_label
from extractors.html_repair import merge_split_bodies, unwrap_layout_tables

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
    r"|post-?navigation|nav-?links|share-?(?:bar|buttons|count|total)|social-?(?:share|links|icons)|jp-relatedposts"
    r"|modal|popup|dialog|breadcrumbs?|tag-?(?:list|cloud|links)|post-?tags|entry-?tags"
    r"|ads?|advert\w*|adv|reklam\w*|reklama|sponsored)(?:$|[-_])",  # ad slots by their names in any language
    re.I,
)
# The same rules over the whole "class id" string (whitespace separates tokens): one regex
# search per element instead of one per token; the walk visits every classed element.
_COMMENTS_ANY = re.compile(r"(?:^|\s)(?:" + _COMMENTS_TOKEN.pattern[4:-2] + r")(?=\s|$)", re.I)
_BOX_ANY = re.compile(r"(?:^|[-_\s])" + _BOX_TOKEN.pattern[len("(?:^|[-_])"):-len("(?:$|[-_])")] + r"(?=$|[-_\s])", re.I)
_WORD = re.compile(r"\w+")
_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
_LABEL_TAGS = {"p", "div", "aside", "section", "blockquote", "strong", "b", "li", *_HEADINGS}
_COMMENT_TAGS = {"div", "section", "ol", "ul", "aside", "footer"}
# cells too: an image's caption set in a table of its own (Blogger's ``td.tr-caption``), an old
# layout's ad or related cell
_BOX_TAGS = {"div", "section", "aside", "ul", "ol", "nav", "p", "span", "figcaption", "small", "td", "th"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "form", "article", "section"}


def _words(text: str) -> int:
    return len(_WORD.findall(text))


class _Counts:
    """Word counts of elements' texts for one page, each counted once: lists nest (a menu's
    links are counted for the menu, each item, each sub-list and the box around it)."""

    def __init__(self) -> None:
        self._words: dict[HtmlElement, int] = {}

    def words(self, element: HtmlElement) -> int:
        count = self._words.get(element)
        if count is None:
            count = self._words[element] = _words(element.text_content())
        return count

    def link_words(self, element: HtmlElement) -> int:
        return sum(self.words(a) for a in element.iter("a"))


def _lead(element: HtmlElement, size: int = 120) -> str:
    """The first characters of an element's text, without walking its whole subtree."""
    parts, length = [], 0
    for piece in element.itertext():
        parts.append(piece)
        length += len(piece)
        if length >= size:
            break
    return "".join(parts).strip()


_INLINE = {"strong", "b", "em", "i", "span", "a", "u", "font", "mark"}
_HIDDEN = etree.XPath(".//*[@hidden] | .//template | .//noscript")
_HOLDS_ARTICLE = etree.XPath("boolean(.//h1 | .//article | .//main | .//*[@itemprop='articleBody'])")
_NAMED_TAGS = tuple(_BOX_TAGS | _COMMENT_TAGS)
_LABEL_HOLDERS = tuple(_INLINE | _LABEL_TAGS)  # a label's own tag: inline (its block is above) or a block
_LINKS = etree.XPath("count(.//a)")
_PAGE_LINKS = etree.XPath("count(.//a[starts-with(@href, '#')])")  # links inside the page


def _is_small_box(element: HtmlElement, counts: _Counts) -> bool:
    """A box by its class name, unless it wraps the article itself.

    Class tokens are only a hint: themes wrap whole pages in containers whose names
    contain box words (Drupal's ``dialog-off-canvas-main-canvas``), so an element that
    holds the page's headline or article element is never a box, whatever its name.
    """
    return counts.words(element) < 400 and not _HOLDS_ARTICLE(element)


# The same box words as the last part of a camel-case name ("sigProCaption", "imageCaption",
# "photoCredit"): gallery plugins and JavaScript themes name their classes so.
_CAMEL_BOX = re.compile(r"[a-z](?:Caption|Credits?|Related|Share(?:Bar|Buttons)|Breadcrumbs?)(?=\s|$)")


@functools.lru_cache(maxsize=8192)
def _name_rules(names: str) -> tuple[bool, bool]:
    """(comments, box) by an element's "class id" string: themes repeat a few names all over a
    page and a site, so each is searched once."""
    return bool(_COMMENTS_ANY.search(names)), bool(_BOX_ANY.search(names) or _CAMEL_BOX.search(names))


def _candidates(root: HtmlElement, comments: bool) -> Iterator[HtmlElement]:
    """Every element that is boilerplate by a rule below (XPath and tag walks run in C)."""
    counts = _Counts()
    yield from _HIDDEN(root)
    for element in root.iterdescendants(*_NAMED_TAGS):
        class_attr, id_attr = element.get("class"), element.get("id")
        if class_attr is None and id_attr is None:
            continue
        is_comments, is_box = _name_rules(f"{class_attr or ''} {id_attr or ''}".strip())
        tag = element.tag
        if comments and is_comments and tag in _COMMENT_TAGS:
            yield element
        elif is_box and tag in _BOX_TAGS and _is_small_box(element, counts):
            yield element
    yield from root.iter("amp-ad", "amp-embed", "amp-sticky-ad")  # AMP's ad slots (their placeholder says "Ad")
    yield from _footnote_marks(root)
    if comments:
        yield from comment_sections(root)
    yield from related_boxes(root, counts)
    yield from italic_captions(root, counts)
    yield from embed_attributions(root)
    for element in root.iter("ul", "ol", "td", "th"):
        if element.tag in ("ul", "ol"):
            yield from _link_list(element, counts)
        elif _is_link_dense_cell(element, counts):
            yield element


TEASER_ITEMS = 3  # sibling blocks of one kind, each another story's headline and lead
TEASER_MAX_WORDS = 80
TEASER_HEADLINE_WORDS = 3
_TEASER_TAGS = frozenset({"div", "article", "section"})  # list items are many bodies' own lists of links
_IN_ARTICLE = etree.XPath("boolean(ancestor::article | ancestor::*[@itemprop='articleBody'])")


def teaser_items(root: HtmlElement, counts: _Counts) -> Iterator[HtmlElement]:
    """The items of a "latest news" column set beside the article: three or more sibling blocks of
    one kind (tag and class), each linking another story's headline (three words or more) under
    80 words — a headline, a time, a lead. Their leads are prose, so they outweigh a short article
    (a one-paragraph flash lost to the column of twelve leads beside it). Not inside the article's
    own element (a roundup's items are its text), and never a block that holds the headline."""
    for parent in root.iter(*_TEASER_TAGS, "aside", "nav", "main", "body"):
        groups: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in parent:
            if child.tag in _TEASER_TAGS and child.get("class"):  # classless divs are often a body's paragraphs
                groups.setdefault((child.tag, child.get("class")), []).append(child)
        for members in groups.values():
            if len(members) < TEASER_ITEMS:
                continue
            items = [m for m in members if counts.words(m) <= TEASER_MAX_WORDS and _opens_with_headline(m, counts)]
            if len(items) < TEASER_ITEMS or _IN_ARTICLE(parent) or _HOLDS_ARTICLE(parent):
                continue
            yield from items


def drop_teaser_items(tree: HtmlElement) -> None:
    """``teaser_items`` removed, after the date is read: their stamps are no article's text, but
    they tell the page's zone (a column's ``<time datetime="…+01:00">``), and on a listing page
    the date the page is known by is its first item's."""
    body = tree.find("body")
    for item in list(teaser_items(body if body is not None else tree, _Counts())):
        if item.getparent() is not None:
            item.drop_tree()


def _opens_with_headline(item: HtmlElement, counts: _Counts) -> bool:
    """The item opens with a link to another page (a time or a label before it at most) whose
    text is a headline (three words or more), and says more than the headline: a lead, a time."""
    link = next((a for a in item.iter("a") if _words(a.text_content()) >= TEASER_HEADLINE_WORDS), None)
    if link is None or (link.get("href") or "#").startswith("#"):
        return False
    before = _lead(item, size=200).split(" ".join(link.text_content().split())[:40])[0]
    return _words(before) <= 3 and counts.words(item) > counts.link_words(item)


CAPTION_MAX_WORDS = 40


def italic_captions(root: HtmlElement, counts: _Counts) -> Iterator[HtmlElement]:
    """A caption an editor typed as an italic paragraph right under an image paragraph (a
    paragraph holding only an image, then one whose whole text is in one <em> or <i>): the
    editor's way to write what <figcaption> says."""
    for image in root.iter("img"):
        holder = image.getparent()
        if holder is None or holder.tag not in ("p", "div", "a") or counts.words(holder) > 0:
            continue
        if holder.tag == "a":
            holder = holder.getparent()
            if holder is None or holder.tag not in ("p", "div") or counts.words(holder) > 0:
                continue
        caption = holder.getnext()
        if caption is None or caption.tag != "p" or len(caption) != 1 or caption[0].tag not in ("em", "i"):
            continue
        words = counts.words(caption)
        if 0 < words <= CAPTION_MAX_WORDS and not (caption.text or "").strip() and not (caption[0].tail or "").strip():
            yield caption


# The embed markup social networks hand out: the post's text in <p>, then its attribution
# ("— Name (@handle) December 3, 2024", "Posted by … on Tuesday, 3 December 2024"), which is the
# widget's furniture, not what the article quotes.
_EMBED_CLASSES = re.compile(r"(?:^|\s)(?:twitter-tweet|fb-xfbml-parse-ignore|instagram-media|tiktok-embed)(?:\s|$)")


def embed_attributions(root: HtmlElement) -> Iterator[HtmlElement]:
    for quote in root.iter("blockquote"):
        if not _EMBED_CLASSES.search(quote.get("class") or ""):
            continue
        kept = [child for child in quote if child.tag == "p"]
        if not kept:
            continue
        kept[-1].tail = None  # "— Name (@handle)" is the text after the post's paragraph
        for child in quote:
            if child not in kept:
                child.tail = None
                yield child
        for link in kept[-1].iter("a"):
            if _BARE_ADDRESS.match(link.text_content().strip()):
                yield link  # an attached picture's or video's short address ("pic.….com/Qx7RkL2mPa")


# A link whose text is an address written without its scheme: the post's attachment, not its words
_BARE_ADDRESS = re.compile(r"^[\w-]+(?:\.[\w-]+)+/\S+$")


# A comments section's heading, whatever the theme calls its classes ("yorumlar", "şərhlər"):
# the word for comments, alone or with their count: "Yorumlar (2)", "Комментарии: 4", "3 Comments".
_COMMENTS_HEADING = re.compile(
    r"^\W*(?:(?:\d+|one|no)\s+)?(?:comments?|reader comments|комментари\w*|отзыв\w*|yorum(?:lar)?|şərh(?:lər)?|"
    r"մեկնաբանություն\w*|კომენტარ\w*|commentaires?|kommentare?)\s*[(:]?\s*\d*\s*\)?\W*$"
    # the comment threads and forms blog themes head in English: "12 Responses to “Title”",
    # "3 thoughts on “Title”", "Leave a Reply", "Post a comment"
    r"|^\W*(?:\d+|one|no)\s+(?:responses?|thoughts?|replies)\s+(?:to|on)\b"
    r"|^\W*(?:leave|post|add|write)\s+a\s+(?:reply|comment|response)\W*$", re.I)


def _comment_section(heading: HtmlElement) -> Iterator[HtmlElement]:
    """A comments heading and the comments after it: its box when the heading opens one (nothing
    before it there), else the heading and the siblings that follow it. Comments come last."""
    parent = heading.getparent()
    if parent is None:
        return
    before = heading.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    if before is None and not (parent.text or "").strip() and parent.tag not in ("body", "article", "main"):
        yield parent
        return
    yield heading
    yield from (sibling for sibling in heading.itersiblings() if isinstance(sibling.tag, str))


def related_boxes(root: HtmlElement, counts: _Counts | None = None) -> Iterator[HtmlElement]:
    """Blocks a related-articles label opens ("Read also", "Digər xəbərlər"), with their list."""
    counts = counts or _Counts()
    for element in root.iter(*_LABEL_HOLDERS):  # any other tag's text has no label block
        text = element.text
        # most texts are the indentation between tags: no label there, and no regex call
        if text and len(text) > 2 and (text := text.lstrip()) and starts_with_label(text):
            block = element
            while block.tag in _INLINE and block.getparent() is not None:
                block = block.getparent()
            if block.tag in _LABEL_TAGS:
                yield from _label_block(block, counts)


def comment_sections(root: HtmlElement) -> list[HtmlElement]:
    """The comments sections a page heads as such ("Yorumlar (2)", "Комментарии: 4")."""
    found = []
    for heading in root.iter(*_HEADINGS):
        text = heading.text_content()
        if len(text) < 60 and _COMMENTS_HEADING.match(text):
            found += list(_comment_section(heading))
    return found


def without_comments_or_related(tree: HtmlElement) -> HtmlElement:
    """The tree less its headed comments sections and labelled related-article boxes (for a reader
    that otherwise sees the intact page: readers' comments and other articles' teasers are never
    the article, however its extractor scores them)."""
    for element in comment_sections(tree):
        if element.getparent() is not None:
            element.drop_tree()
    for element in list(related_boxes(tree)):  # teasers of other articles, as labelled
        if element.getparent() is not None:
            element.drop_tree()
    return tree


def _label_block(element: HtmlElement, counts: _Counts) -> Iterator[HtmlElement]:
    """A short block opening with a related-articles label, or such a heading and its list."""
    if not starts_with_label(_lead(element)):
        return
    text = element.text_content().strip()
    if len(text) > 600:
        return
    words = _words(text)
    if element.tag in _HEADINGS or words <= _LABEL_ONLY_WORDS:
        if words > _LABEL_ONLY_WORDS:
            return
        yield element
        # its list: a link list, or teaser boxes one after another (a headline link, a blurb, a time)
        sibling = element.getnext()
        first = True
        while sibling is not None:
            if isinstance(sibling.tag, str):
                sibling_words = counts.words(sibling)
                if sibling_words and counts.link_words(sibling) >= 0.5 * sibling_words:
                    yield sibling
                elif sibling.tag != "p" and _opens_with_headline_link(sibling):
                    yield sibling
                else:
                    break
                if first and sibling.tag in ("ul", "ol", "table"):
                    break  # the list itself: what follows it is no longer the box
                first = False
            sibling = sibling.getnext()
    elif words <= 40 or counts.link_words(element) >= 0.5 * words:
        yield element


def _footnote_marks(root: HtmlElement) -> Iterator[HtmlElement]:
    """Superscript links to a note on the same page ("<sup><a href="#fn1">1</a></sup>"): left in,
    the number is glued to the word before it ("reported.1"). An exponent (m², 10⁶) links nowhere."""
    for sup in root.iter("sup"):
        links = list(sup.iter("a"))
        if len(links) == 1 and (links[0].get("href") or "").startswith("#"):
            mark = sup.text_content().strip()
            if 0 < len(mark) <= 6 and mark.strip("[]()").isalnum():
                yield sup


def _opens_with_headline_link(element: HtmlElement) -> bool:
    """A teaser: its first words are a link of three words or more to another page."""
    for node in element.iter():
        if node.tag == "a":
            href = node.get("href") or ""
            return _words(node.text_content()) >= 3 and not href.startswith("#")
        if (node.text or "").strip():
            return False
    return False


def _link_list(element: HtmlElement, counts: _Counts) -> Iterator[HtmlElement]:
    """Tables of contents (every link points inside the page) and lists of headline links."""
    links = _LINKS(element)
    if links < 3:
        return
    if _PAGE_LINKS(element) == links:
        words = counts.words(element)
        if counts.link_words(element) >= 0.8 * words:
            parent = element.getparent()
            # the list's own box (a "Contents" title and the list), when it holds nothing else
            if parent is not None and parent.tag in ("div", "nav", "aside") and counts.words(parent) <= words + 4:
                yield parent
            else:
                yield element
            return
    items = [li for li in element if li.tag == "li"]
    if len(items) >= 3 and all(_is_headline_link(li, counts) for li in items) and not _introduced_by_text(element, counts):
        yield element


INTRO_MIN_WORDS = 5  # "Читайте также:" is a label; "The documents are published on the gazette's site:" a sentence


def _introduced_by_text(element: HtmlElement, counts: _Counts) -> bool:
    """A list the body's own sentence introduces ("…the texts are published here:"): its links are
    the article's sources or documents, not a box of related headlines (those come under a
    heading or a "Read also:" label)."""
    previous = element.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()  # a comment between them
    if previous is None or previous.tag not in ("p", "div"):
        return False
    text = " ".join(previous.text_content().split())
    return text.endswith(":") and counts.words(previous) >= INTRO_MIN_WORDS and not starts_with_label(text)


def _is_headline_link(item: HtmlElement, counts: _Counts) -> bool:
    words = counts.words(item)
    return words >= 3 and counts.link_words(item) >= 0.8 * words


def _is_link_dense_cell(cell: HtmlElement, counts: _Counts) -> bool:
    """Table-layout navigation and side columns: cells that are mostly links."""
    links = sum(1 for _ in cell.iter("a"))
    if links < 4:
        return False
    words = counts.words(cell)
    return words >= 8 and counts.link_words(cell) >= 0.6 * words


def prune_tree(tree: HtmlElement, *, comments: bool = True) -> HtmlElement:
    """Remove boilerplate regions in place (see module docstring); returns the tree."""
    body = tree.find("body")
    root = body if body is not None else tree
    for element in list(_candidates(root, comments)):
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text, which belongs to the parent's flow
    # <address> is the contact information of its article or page (HTML), never its text: a
    # byline, an editor's e-mail, a press office's phone numbers
    for address in list(root.iter("address")):
        if address.getparent() is not None and not _HOLDS_ARTICLE(address):
            address.drop_tree()
    unwrap_layout_tables(root)
    merge_split_bodies(root)
    return tree
