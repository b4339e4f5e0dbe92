"""A page that lists many items of one kind, whose URL names one of them: only that item is read.

A channel's web view (``t.me/s/channel/4512`` shows posts 4511, 4512, 4513...), a feed-like page
of short news items, an archive page opened at one entry: each item is an element carrying an
identifier (``data-post="channel/4512"``, ``id="post-4512"``), and the URL's last segment names the
wanted one. Read whole, the page gives the neighbours' text around the story (and decides its
relevance by them). The items are told by the identifier, not by a site's class names: a group is
the elements carrying the same attribute with values of the same shape (the value less its
digits), and the page is a list when at least ``MIN_ITEMS`` of them differ.

An endless page is the same thing with whole stories: the next article is already in the page,
each in a wrapper naming its own address (``data-url="/society/…/lake-sevan.html"``); the one whose
address is the page's URL is the article (``keep_story_named_by_url``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import unquote, urlsplit

from lxml.html import HtmlElement

ITEM_ATTRIBUTES = ("data-post", "data-id", "data-item-id", "data-entry-id", "data-message-id", "id")
MIN_ITEMS = 3
_NUMBER = re.compile(r"\d{3,}")
_DIGITS = re.compile(r"\d+")
_XPATH = "//*[" + " or ".join(f"@{name}" for name in ITEM_ATTRIBUTES) + "]"


def _wanted_numbers(url: str | None) -> set[str]:
    """The numbers of three or more digits in the URL's last path segment ("4512", "4412-…html")."""
    if not url:
        return set()
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    return set(_NUMBER.findall(segments[-1])) if segments else set()


def _names(value: str, numbers: set[str]) -> bool:
    """Does an identifier end with one of the URL's numbers ("channel/4512", "post-4512", "4512")?"""
    tail = _DIGITS.findall(value)
    return bool(tail) and tail[-1] in numbers and value.endswith(tail[-1])


def keep_item_named_by_url(tree: HtmlElement, url: str | None, source: str) -> bool:
    """Drop the other items of a list page whose URL names one item; True when it did. ``source``
    is the markup the tree was parsed from."""
    numbers = _wanted_numbers(url)
    if not numbers or not _any_naming(source, numbers):
        return False
    groups: dict[tuple[str, str], list[tuple[HtmlElement, str]]] = defaultdict(list)
    for element in tree.xpath(_XPATH):
        for name in ITEM_ATTRIBUTES:
            value = element.get(name)
            if value and _DIGITS.search(value):
                groups[(name, _DIGITS.sub("#", value))].append((element, value))
    for members in groups.values():
        wanted = [element for element, value in members if _names(value, numbers)]
        if len(wanted) != 1 or len({value for _, value in members}) < MIN_ITEMS:
            continue
        target = wanted[0]
        if any(other is not target and (_contains(other, target) or _contains(target, other)) for other, _ in members):
            continue  # nested identifiers (a post holding its comments): not a flat list of items
        others = [element for element, _ in members if element is not target]
        for unit in {id(u): u for u in (_unit(element, target, others) for element in others)}.values():
            if unit.getparent() is not None:
                unit.drop_tree()
        return True
    return False


_ATTRIBUTE_BEFORE = re.compile(r"""\b(?:""" + "|".join(ITEM_ATTRIBUTES) + r""")\s*=\s*["']?[^"'\s<>=]*$""")


def _any_naming(source: str, numbers: set[str]) -> bool:
    """Does the page's markup hold an identifier ending with one of the numbers at all? Each place
    the number is followed by a quote is looked at, backwards, for an identifier attribute: plain
    substring searches before any walk over the tree (most pages: none)."""
    for number in numbers:
        for quote in ('"', "'"):
            needle = number + quote
            at = source.find(needle)
            while at != -1:
                if not source[at - 1:at].isdigit() and _ATTRIBUTE_BEFORE.search(source, max(0, at - 120), at):
                    return True
                at = source.find(needle, at + 1)
    return False


def _contains(outer: HtmlElement, inner: HtmlElement) -> bool:
    return any(ancestor is outer for ancestor in inner.iterancestors())


def _unit(element: HtmlElement, target: HtmlElement, members: list[HtmlElement]) -> HtmlElement:
    """The largest block around ``element`` that holds no other item and not the wanted one (the
    item's wrapper: its author line, date and reactions sit beside the identified element)."""
    unit = element
    while True:
        parent = unit.getparent()
        if parent is None or parent.tag in ("body", "html") or _contains(parent, target):
            return unit
        if any(other is not element and _contains(parent, other) for other in members):
            return unit
        unit = parent


STORY_MIN_WORDS = 50
STORY_ADDRESS_ATTRIBUTES = ("data-url", "data-href", "data-permalink", "data-article-url", "data-share-url")
# as markup writes them: lower case, or all capitals (HTML attribute names are case-insensitive;
# lower-casing a whole page to look costs more than the walk it spares)
_STORY_ATTRIBUTE_SPELLINGS = STORY_ADDRESS_ATTRIBUTES + tuple(name.upper() for name in STORY_ADDRESS_ATTRIBUTES)
_STORY_XPATH = "//*[" + " or ".join(f"@{name}" for name in STORY_ADDRESS_ATTRIBUTES) + "]"


def keep_story_named_by_url(tree: HtmlElement, url: str | None, source: str | None = None) -> bool:
    """Drop the other stories of an endless page whose URL is one of its stories' addresses; True
    when it did. Two or more wrappers of one tag each name an address, exactly one of them the URL's
    path, side by side in one container, each a block of text (a comment box or a share button
    carries an address too). ``source``, the markup the tree was parsed from, spares the walk over
    the tree when no address attribute is written in it at all (most pages)."""
    path = unquote(urlsplit(url).path).rstrip("/") if url else ""
    if not path:
        return False
    if source is not None and not any(name in source for name in _STORY_ATTRIBUTE_SPELLINGS):
        return False
    found: list[tuple[HtmlElement, str]] = []
    for element in tree.xpath(_STORY_XPATH):
        value = next((element.get(name) for name in STORY_ADDRESS_ATTRIBUTES if element.get(name)), "")  # data-url=""
        try:
            found.append((element, unquote(urlsplit(value).path).rstrip("/")))
        except ValueError:  # "http://[abc/": no address
            continue
    # a story is a block of text: a comment box or a share button naming the page's address is not
    wrappers = [(e, v) for e, v in found if e.tag in ("div", "article", "section") and v
                and len(e.text_content().split()) >= STORY_MIN_WORDS]
    wanted = [e for e, v in wrappers if v == path]
    if len(wanted) != 1:
        return False
    target = wanted[0]
    # the stories of an endless page sit side by side in one container
    others = [e for e, v in wrappers if v != path and e.tag == target.tag and e.getparent() is target.getparent()]
    if not others:
        return False
    for other in others:
        if other.getparent() is not None:
            other.drop_tree()
    return True
