"""The record's title: the page's headline, not its <title>'s site suffix, a label or its logo.

A <title> is written for browser tabs and search engines; the headline is what readers see. These
functions clean a <title> of its site part and, when it is a bare <title> (no JSON-LD headline,
og:title or twitter:title), prefer the visible headline (``title_headline``). Split from
``extractors.metadata`` (which re-exports them) to keep both modules readable.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from extractors.header_lines import is_dateline
from extractors.site_names import front_page_host, names_the_site, site_names_on_page, squashed

_LETTERS = re.compile(r"[^\W\d_]+")  # a date part of a title has a month and a weekday at most
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»/]|::|\|\|)\s+")


def clean_title(title: str, site_name: str, h1: str, site_names: tuple[str, ...] = ()) -> str:
    """Drop a " | Site" or "Site - " part from a <title>/og:title; prefer the <h1> when it matches.

    ``site_names`` are names the page itself gives the site (``site_names_on_page``): a part equal
    to one of them goes too, so a site that declares no og:site_name still loses its suffix.
    """
    title = " ".join((title or "").split())
    if not title:
        return h1
    parts = _TITLE_SEPARATORS.split(title)
    dated = next((i for i, part in enumerate(parts) if i and is_dateline(part) and len(_LETTERS.findall(part)) <= 2), None)
    if dated is not None:
        # "Headline - 12 Марта 2026 - Section - Site" (uCoz and other CMSs): what follows the date is
        # the page's place in the site, never the story
        title = title[:list(_TITLE_SEPARATORS.finditer(title))[dated - 1].start()]
        parts = parts[:dated]
    if len(parts) > 1:
        if h1 and any(p == h1 for p in parts):
            return h1
        site = site_name.casefold()
        names = {squashed(name) for name in site_names} - {""}
        is_site = [bool(site and (p.casefold() in site or site in p.casefold())) or names_the_site(p, names)
                   for p in parts]
        if any(is_site) and not all(is_site):
            # the title's own separators stay ("Dare to Play 3 / October pack"); a site part between
            # two others (rare) is cut out with the separator before it
            separators = list(_TITLE_SEPARATORS.finditer(title))
            starts = [0] + [m.end() for m in separators]
            ends = [m.start() for m in separators] + [len(title)]
            pieces: list[str] = []
            for i, site_part in enumerate(is_site):
                if not site_part:
                    before = title[ends[i - 1]:starts[i]] if pieces else ""  # the separator in front
                    pieces.append(before + title[starts[i]:ends[i]])
            return "".join(pieces)
    return title


def title_headline(tree: HtmlElement, title: str, raw_title: str = "") -> str:
    """The visible headline to use instead of a bare <title>: the <h1> that shares its words with
    the <title>'s longest part (``title`` cleaned, ``raw_title`` as the page has it). A <title> is
    written for browser tabs and search engines (site suffix, other wording); the <h1> is what
    readers see. Sharing two words (or the only one) keeps a section name, a widget or a blog's
    tagline set in an <h1> from becoming the title. An <h1> the <title> starts or ends with is the
    site's name ("Blog name: post title"), one in a link to the front page its logo, and one that
    holds the whole <title> and more adds furniture to it ("… 385 Comments")."""
    folded_title = " ".join(title.casefold().split())
    folded_raw = " ".join((raw_title or title).casefold().split())
    main_part = max(_TITLE_SEPARATORS.split(title), key=len)
    part_stems = _stems(main_part)
    best, best_shared = "", 0
    for heading in tree.iter("h1"):
        if _links_to_front_page(heading):
            continue  # the site's logo
        text = " ".join(heading.text_content().split())
        if len(text.split()) < 2 or len(text) > 300:
            continue
        folded = text.casefold()
        if folded == folded_title:
            return text
        if folded_raw.startswith(folded) or folded_raw.endswith(folded) or folded_title in folded:
            continue
        stems = _stems(text)
        shared = len(stems & part_stems)
        enough = shared >= 2 or (shared == 1 and len(part_stems) == 1)
        if enough and shared >= 0.3 * len(stems) and shared > best_shared:
            best, best_shared = text, shared
    if not best and len(title.split()) <= GENERIC_TITLE_WORDS and not shown_as_heading(tree, folded_title):
        best = lone_headline(tree)
    return best


def shown_as_heading(tree: HtmlElement, folded_title: str) -> bool:
    """A short <title> the page also sets as a heading is the headline ("Calligraphy-making robot")."""
    return any(" ".join(h.text_content().split()).casefold() == folded_title for h in tree.iter("h1", "h2", "h3"))


def heading_holds_title(tree: HtmlElement, title: str) -> bool:
    """Does a heading show the title, or its main part (three words or more) inside more words
    ("3 Responses to “<title>”")? Then the title is the page's own headline, not a site label."""
    folded = " ".join(title.casefold().split())
    main = max(_TITLE_SEPARATORS.split(folded), key=len)
    for heading in tree.iter("h1", "h2", "h3"):
        text = " ".join(heading.text_content().split()).casefold()
        if text == folded or (len(main.split()) >= 3 and main in text):
            return True
    return False


# A <title> of at most this many words that the page's headline does not match is a label, not a
# headline: "Haber Detay", "Новости", "Çap versiyası", the site's name alone. Headlines run longer.
GENERIC_TITLE_WORDS = 3
HEADLINE_WORDS = (5, 40)
_NOT_THE_ARTICLE = frozenset({"nav", "aside", "footer"})


def lone_headline(tree: HtmlElement, levels: tuple[str, ...] = ("h1", "h2"), by_class: bool = True) -> str:
    """The page's own headline when its <title> is a label: the first <h1> that is neither the
    logo nor a link, else (a logo in the <h1>, a CMS that sets headlines in <h2>) the first such
    <h2>, else the first element whose class or id names a title or headline ("news-title");
    a headline's length (HEADLINE_WORDS), outside menus, sidebars and footers. Widget and
    section titles are short, and teaser headlines are links."""
    def usable(element) -> str:
        if _linked(element) or any(a.tag in _NOT_THE_ARTICLE for a in element.iterancestors()):
            return ""
        text = " ".join(element.text_content().split())
        low, high = HEADLINE_WORDS
        if not low <= len(text.split()) <= high or text.endswith(":") or names_the_site(text, site_names):
            return ""  # a label introducing a list ("ich lese oder höre gerade:") is no headline
        return text if _text_follows(element) else ""

    site_names = {squashed(name) for name in site_names_on_page(tree, "")} - {""}

    for tag in levels:
        for heading in tree.iter(tag):
            text = usable(heading)
            if text:
                return text
        if tag == "h1" and any(not _linked(h) and h.text_content().split() for h in tree.iter("h1")):
            return ""  # a real <h1> of another length: the page's headline is not in an <h2>
    for element in tree.iter("div", "p", "span", "b", "strong", "td") if by_class else ():
        names = f"{element.get('class') or ''} {element.get('id') or ''}".casefold()
        if ("title" in names or "headline" in names) and (text := usable(element)):
            return text
    return ""


HEADLINE_FOLLOWED_BY_WORDS = 30


def _text_follows(element: HtmlElement, levels: int = 3) -> bool:
    """Does prose (words outside links) follow the element closely: its tail, its next siblings,
    then those of its parents (``levels`` up)? A headline opens its article; a form's or a widget's
    heading ("Login to leave a comment", "Fun things to do") is followed by fields or links."""
    words = len((element.tail or "").split())
    node = element
    for _ in range(levels):
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str) or sibling.tag in ("script", "style", "form", "nav", "aside"):
                words += len((sibling.tail or "").split()) if isinstance(sibling.tag, str) else 0
                continue
            if sibling.tag != "a":
                linked = sum(len(a.text_content().split()) for a in sibling.iterdescendants("a"))
                words += len(sibling.text_content().split()) - linked
            words += len((sibling.tail or "").split())
            if words >= HEADLINE_FOLLOWED_BY_WORDS:
                return True
        node = node.getparent()
        if node is None:
            break
    return False


def _linked(element: HtmlElement) -> bool:
    """Inside a link or holding one: a teaser headline, or a logo."""
    return any(a.tag == "a" for a in element.iterancestors()) or next(element.iterdescendants("a"), None) is not None


def _links_to_front_page(heading: HtmlElement) -> bool:
    """A heading that is, holds or sits in a link to the site's front page: its logo."""
    return any(a.tag == "a" and front_page_host((a.get("href") or "").strip()) is not None
               for a in (heading, *heading.iterancestors(), *heading.iterdescendants("a")))


def _stems(text: str) -> set[str]:
    # a word's first five letters: inflected forms (Վանաձոր/Վանաձորում, камнепад/камнепада) meet
    return {word[:5] for word in re.findall(r"\w{4,}", text.casefold()) if not word.isdigit()}


def is_logo_heading(tree: HtmlElement, headline: str) -> bool:
    """Is the page's first heading its logo: in or around a link to the front page ("Bike Hugger"
    in the <h1>, which a "Post title - Bike Hugger" <title> also holds: not the post's title)?"""
    if not headline:
        return False
    for tag in ("h1", "h2"):
        for heading in tree.iter(tag):
            if " ".join(heading.text_content().split()) == headline:
                return _links_to_front_page(heading)
    return False


def first_h1(tree: HtmlElement) -> str:
    """The page's headline: its first multi-word <h1> (old portals: the first <h2>)."""
    for tag in ("h1", "h2"):
        for heading in tree.iter(tag):
            text = " ".join(heading.text_content().split())
            if len(text.split()) >= 2:
                return text
    return ""


SEVERAL_HEADLINE_WORDS = 4  # a logo's or a section's <h1> is shorter than a story's headline


def several_headlines(tree: HtmlElement) -> bool:
    """Does the page carry two or more stories' headlines as <h1>s (an endless page that loaded
    the next story below this one)? Same-text copies (a mobile header) count once."""
    seen = set()
    for h1 in tree.iter("h1"):
        text = " ".join(h1.text_content().split())
        if len(text.split()) >= SEVERAL_HEADLINE_WORDS:
            seen.add(text.casefold())
            if len(seen) >= 2:
                return True
    return False


# What a site's "not found" page calls itself, in the region's languages and the big European ones:
# a whole title, or one part of it between separators ("Page not found | News.am", "404 - Ошибка").
_ERROR_WORD = r"(?:error|ошибка|hata|xəta|սխալ|შეცდომა|erreur|fehler)"
_NOT_FOUND = (r"(?:(?:oops[!,.]?\s*)?(?:the\s+)?page (?:was )?not found|not found|page (?:does not|doesn't) exist"
              r"|page introuvable|page non trouvée|seite nicht gefunden|страница не найдена|страницы не существует"
              r"|էջը (?:չի գտնվել|չգտնվեց|գոյություն չունի)|გვერდი (?:ვერ|არ) მოიძებნა|səhifə tapılmadı|sayfa bulunamadı)")
_ERROR_SEGMENT = re.compile(
    rf"(?:{_ERROR_WORD}\s*)?(?:404|410)(?:\s*[-–—:.]?\s*{_NOT_FOUND})?[.!]?|(?:{_ERROR_WORD}\s*[-–—:]?\s*)?{_NOT_FOUND}[.!]?"
    rf"|{_ERROR_WORD}", re.I)
_ERROR_TITLE_PARTS = re.compile(r"\s+[|–—·:-]\s+|\s*\|\s*")


def is_error_page_title(title: str) -> bool:
    """A title that names the page an error ("Page not found | News.am", "404", "Ошибка 404 —
    Страница не найдена"): a site answering 200 for an article it removed (a "soft 404"). A
    headline about something not found says more ("Missing climber not found after three days")."""
    return any(_ERROR_SEGMENT.fullmatch(part.strip()) for part in _ERROR_TITLE_PARTS.split(title) if part.strip())
