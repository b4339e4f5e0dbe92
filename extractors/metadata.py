"""Page metadata from markup: JSON-LD, OpenGraph / <meta>, <link rel=canonical>, <html lang>.

Each value is checked before it is believed: a JSON-LD author that is a CMS placeholder
("admin"), an e-mail, a URL or just the site's own name is no author; a title carries no
" | Site name" suffix.
"""

from __future__ import annotations

import html

import json
import re
from dataclasses import dataclass
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from extractors.header_lines import WRITER_LABELS
from extractors.site_names import names_the_site, squashed, site_names_on_page
from extractors.urls import is_front_page
from extractors.titles import (GENERIC_TITLE_WORDS, clean_title, first_h1, heading_holds_title, is_logo_heading,  # noqa: F401
                               lone_headline, shown_as_heading, title_headline)

# schema.org types whose headline/author/date describe the page's article.
_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "socialmediaposting",
    "scholarlyarticle", "techarticle", "report", "liveblogposting", "webpage", "creativework",
}
_JSON_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Names a CMS shows when no real author was entered (many languages: the region's outlets run
# WordPress, DLE, Joomla and Bitrix in Russian, Armenian, Georgian, Azerbaijani, French...).
_PLACEHOLDER_AUTHORS = {
    "admin", "administrator", "administrador", "administrateur", "administratör", "root", "editor",
    "editors", "editorial", "editorial staff", "editorial team", "the editors", "redaction",
    "rédaction", "la rédaction", "redaktion", "redakcja", "webmaster", "web master", "webadmin",
    "site admin", "siteadmin", "superadmin", "user", "guest", "staff", "staff writer", "author",
    "anonymous", "unknown", "news", "news desk", "newsdesk", "desk", "web desk", "webdesk",
    "content team", "team", "moderator", "publisher", "default", "wordpress", "wpadmin",
    "админ", "администратор", "редактор", "редакция", "модератор", "автор", "гость",
    "ադմին", "խմբագիր", "խմբագրություն", "ადმინი", "რედაქცია", "redaktor", "redaksiya", "müəllif",
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_URLISH = re.compile(r"^(?:https?://|www\.)|^[\w-]+(?:\.[\w-]+)+/?$", re.I)
# "By" alone is a label; so is the region's word for "author" before a name without a colon
# (a theme's "Yazar" span glued to "Haber Merkezi")
# "By", "Posted by" (a blog's byline: Blogger, WordPress), and the credit lines that name the
# writer ("Text and photos by", "Фото и текст:"); a
# photo credit alone ("Photo by …", "Фото: …") names no author.
_BYLINE_PREFIX = re.compile(r"^(?:(?:(?:text|words|story|reporting)(?:\s+(?:and|&)\s+photos?)?|photos?\s+(?:and|&)\s+(?:text|words))\s+by"
                            r"|(?:posted|written)\s+by|by|(?:текст(?:\s+и\s+фото)?|фото\s+и\s+текст):|par|von|di|por|de|автор|автор:|author:"
                            r"|yazar|müəllif|հեղինակ|ავტორი|نویسنده:?|بقلم|كتب:?)(?:\s+|$)", re.I)
# A photo credit set in an element its theme calls "…photo-author" ("Фото: пресс-служба"): no byline.
_PHOTO_CREDIT = re.compile(r"^\W*(?:photo|фото|foto|ფოტო|լուսանկար\w*|şəkil|fotoğraf|image|изображение)\b", re.I)
# A label before a name ("Автор:", "Müəllif:", "Հեղինակ՝" with the Armenian comma, "著者："): one
# to three words and a colon-like mark, at the start of a byline.
_LABEL_MARK = re.compile(r"^[^:՝：\d/.@]{1,12}[:՝：](?!/)\s*")  # not "https://…"


@dataclass(frozen=True)
class PageMetadata:
    title: str = ""
    author: str = ""
    published: str | None = None
    published_source: str | None = None  # "json-ld" or "meta"
    modified: str | None = None
    canonical_url: str | None = None
    declared_language: str | None = None
    site_name: str = ""
    headline: str = ""  # the page's first multi-word <h1> (``first_h1``)
    article_body: str = ""  # schema.org articleBody (JSON-LD), as text: a script-rendered page's only copy


def _meta_index(tree: HtmlElement) -> dict[str, str]:
    """First non-empty content of every <meta property|name|itemprop>, lower-cased keys."""
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = meta.get("content")
        if key and value and value.strip():
            found.setdefault(key.strip().lower(), value.strip())
    return found


def _json_ld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json" or not script.text:
            continue
        raw = _JSON_CONTROL.sub(" ", script.text.strip().rstrip(";"))
        try:
            # a hostile page nests thousands of arrays: Python's decoder and our walk recurse
            objects = list(_flatten(json.loads(raw)))
        except (ValueError, RecursionError):
            continue
        yield from objects


def _flatten(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten(data["@graph"])


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds}


def _article_object(objects: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The most article-like JSON-LD object: a *NewsArticle beats Article beats WebPage."""
    best, best_rank = None, 99
    for obj in objects:
        kinds = _types(obj) & _ARTICLE_TYPES
        if not kinds:
            continue
        rank = 2 if kinds <= {"webpage", "creativework"} else (0 if any("news" in k or k == "blogposting" for k in kinds) else 1)
        if rank < best_rank:
            best, best_rank = obj, rank
    return best


def _names(value: Any) -> list[str]:
    """Author names from a schema.org author value (string, Person, list of either)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return _names(name) if name else []
    if isinstance(value, list):
        return [n for item in value for n in _names(item)]
    return []


def _is_organization(value: Any) -> bool:
    """Whether a schema.org author value names an Organization (a person's blog named after its
    author is no reason to drop a Person who shares the logo's name)."""
    if isinstance(value, list):
        return any(_is_organization(item) for item in value)
    return isinstance(value, dict) and bool(_types(value) & {"organization", "newsmediaorganization"})


def _text(value: Any) -> str:
    if isinstance(value, str):
        # CMS plugins write JSON-LD strings HTML-escaped ("Syunik&#039;s", "&quot;…&quot;"): a script's
        # text is not unescaped by the HTML parser as an attribute is
        return " ".join((html.unescape(value) if "&" in value else value).split())
    if isinstance(value, list) and value:
        return _text(value[0])
    return ""


def clean_author(raw: str, site_name: str = "", host: str = "") -> str:
    """A readable author name, or "" when the value is a placeholder, e-mail, URL or the site."""
    name = " ".join((raw or "").split()).strip(" ,;|-")
    name = _BYLINE_PREFIX.sub("", name).strip()
    name = _without_trailing_date(name)
    name = _LABEL_MARK.sub("", name, count=1).strip() if _LABEL_MARK.match(name) and len(name) > 15 else name
    if not name or len(name) > 80 or not re.search(r"\w", name):
        return ""
    low = name.casefold()
    if low in _PLACEHOLDER_AUTHORS or _EMAIL.search(name) or _URLISH.search(name):
        return ""
    if re.fullmatch(r"[\d\W_]+", name):
        return ""
    key = squashed(name)
    if site_name and key == squashed(site_name):
        return ""
    if host and key == squashed(host.casefold().removeprefix("www.").split(".")[0]):
        return ""
    return name


def _without_trailing_date(name: str) -> str:
    """A byline that runs on into its date ("Leyla Hasanova, 18 November 2026", "… | 18.11.2026"):
    the name before it."""
    if not any(ch.isdigit() for ch in name):
        return name
    from extractors.date_text import find_dates

    found = find_dates(name, limit=1)
    if not found or found[0].start == 0:
        return name
    return name[:found[0].start].rstrip(" ,;|·•–—-/").strip()


def join_authors(names: list[str], site_name: str, host: str, own_names: tuple[str, ...] = ()) -> str:
    """The authors, less placeholders and the site itself: a JSON-LD Organization author named as
    the outlet names itself on its logo link (``own_names``, from ``site_names_on_page``) is no byline."""
    site = {squashed(n) for n in own_names} - {""}
    seen: list[str] = []
    for raw in names:
        name = clean_author(raw, site_name, host)
        if name and name not in seen and squashed(name) not in site:
            seen.append(name)
    return ", ".join(seen)


_BLOCK_BREAK = re.compile(r"(?i)<\s*(?:br|/p|/div|/li|/h[1-6]|/blockquote)\b[^>]*>")
_ANY_TAG = re.compile(r"<[^<>]{1,500}>")


def _plain_body(body: str) -> str:
    """articleBody as paragraphs: some CMSes put HTML in it, most plain text with line breaks."""
    if not body:
        return ""
    from html import unescape

    if "<" in body:
        body = unescape(_ANY_TAG.sub(" ", _BLOCK_BREAK.sub("\n", body)))
    lines = (" ".join(line.split()) for line in body.splitlines())
    return "\n".join(line for line in lines if line)


def _language(tree: HtmlElement, metas: dict[str, str]) -> str | None:
    raw = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang") or metas.get("og:locale")
    if not raw:
        raw = metas.get("content-language") or metas.get("language") or metas.get("dc.language")
    if not raw:
        return None
    code = re.split(r"[-_]", raw.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _absolute(href: str | None, base: str | None) -> str | None:
    if not href or not href.strip():
        return None
    href = href.strip()
    absolute = urljoin(base, href) if base else href
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


_BYLINE_XPATH = (
    ".//*[@rel='author' or @itemprop='author' or contains(@class, 'author') or contains(@class, 'byline')]"
)


def visible_byline(tree: HtmlElement, site_name: str, host: str) -> str:
    """An author named in the page's own byline when the metadata names none.

    Hidden bylines are skipped: themes hide the CMS user ("admin") that way."""
    for element in tree.xpath(_BYLINE_XPATH):
        if element.tag in ("meta", "link", "script", "style", "body", "article", "html"):
            continue
        if any("display:none" in (a.get("style") or "").replace(" ", "") or a.get("hidden") is not None
               or "comment" in (a.get("class") or "") + (a.get("id") or "")
               for a in (element, *element.iterancestors())):
            continue  # hidden (a CMS user), or a commenter's name
        if element.tag == "a" and _front_page_link(element.get("href")):
            continue  # a theme's site-title link marked rel="author" (Jekyll's default): the site, not a writer
        text = " ".join(element.text_content().split())
        if not text or len(text) > 60 or _PHOTO_CREDIT.match(text):
            continue
        text = _LABEL_MARK.sub("", text, count=1) if _LABEL_MARK.search(text[:15]) else text
        name = clean_author(text, site_name, host)
        if name:
            return name
    return labelled_byline(tree, site_name, host)


def _front_page_link(href: str | None) -> bool:
    href = (href or "").strip()
    try:
        return bool(href) and not urlsplit(href).fragment and is_front_page(href)
    except ValueError:  # "http://[abc/": no address at all
        return False


# A meta line that opens with a byline label, the name, then the date or other facts after a separator:
# "By Chris Patton · Nov. 28, 2026", "Автор: Арсен Мелконян | 3 декабря 2026 | Просмотров: 1 204".
_LABELLED_LINE = re.compile(rf"(?:^|[|·•]\s*)\s*(?:by|written by|{WRITER_LABELS}|نویسنده|بقلم|كتب)"
                            r"(?![\w-])\s*[:՝：]?\s*", re.I)  # opening the line, or a part of it after a separator
_NAME_PART = re.compile(r"^(?P<name>[^|·•–—,;\d()]{3,60}?)\s*(?:[|·•–—,;(]|\d|$)")
_PERSON = re.compile(r"[^\W\d_][\w.'’-]*(?:\s+[^\W\d_][\w.'’-]*){1,3}")  # two to four words: "By Category" is no one
_LABELLED_LINE_CHARS = 160
_LABELLED_LINES_READ = 3


def labelled_byline(tree: HtmlElement, site_name: str, host: str) -> str:
    """The name in a short visible line that says who wrote the page with a byline label, when no
    element is marked as the author: the name runs to the first separator or date, one to four
    words, no digits. Comments are not bylines."""
    body = tree.find("body")
    read = 0
    for element in (body if body is not None else tree).iter("p", "div", "span", "li", "small", "em", "i"):
        own = element.text
        if not own or not _LABELLED_LINE.search(own):
            continue
        text = " ".join(element.text_content().split())
        if len(text) > _LABELLED_LINE_CHARS or any(
                "comment" in (a.get("class") or "") + (a.get("id") or "") for a in (element, *element.iterancestors())):
            continue
        read += 1
        label = _LABELLED_LINE.search(text)
        found = _NAME_PART.match(text[label.end():]) if label else None
        if found and _PERSON.fullmatch(name := found.group("name").strip()):
            first = name[0]
            # every cased script capitalises names; Georgian writes none (Unicode's Mtavruli capitals aside)
            cased = first.lower() != first.upper() and not "\u10d0" <= first <= "\u10ff"
            cleaned = clean_author(name, site_name, host)
            if cleaned and (first.isupper() or not cased):
                return cleaned
        if read >= _LABELLED_LINES_READ:
            break
    return ""


def _reads_as_label(tree: HtmlElement, title: str, site_name: str, own_names: tuple[str, ...]) -> bool:
    """A declared title of a few words that no heading shows, or that names the site."""
    names = {squashed(name) for name in (site_name, *own_names)} - {""}
    if names_the_site(title, names):
        return True
    return len(title.split()) <= GENERIC_TITLE_WORDS and not shown_as_heading(tree, " ".join(title.casefold().split()))


def read_metadata(tree: HtmlElement, url: str | None = None) -> PageMetadata:
    """Everything the markup says about the page, checked (see module docstring)."""
    metas = _meta_index(tree)
    objects = list(_json_ld_objects(tree))
    article = _article_object(objects) or {}
    host = urlsplit(url).hostname or "" if url else ""

    publisher = article.get("publisher")
    site_name = metas.get("og:site_name") or (_text(publisher.get("name")) if isinstance(publisher, dict) else "")
    if not site_name:
        site_name = next((_text(o.get("name")) for o in objects if _types(o) & {"website", "organization", "newsmediaorganization"}), "")

    title_el = next(tree.iterdescendants("title"), None)  # a C walk (``find(".//title")`` walks in Python)
    declared_title = _text(article.get("headline")) or metas.get("og:title") or metas.get("twitter:title")
    raw_title = declared_title or (title_el.text_content() if title_el is not None else "")
    headline = first_h1(tree)
    own_names = site_names_on_page(tree, host)
    if is_logo_heading(tree, headline):  # the logo's words name the site: a <title> part equal to them goes
        title = clean_title(raw_title, site_name, "", (*own_names, headline))
    else:
        title = clean_title(raw_title, site_name, headline, own_names)
    if not declared_title or (not article.get("headline") and _reads_as_label(tree, title, site_name, own_names)):
        # a bare <title>, or an og:title that is only a label (the site's name, its section: "APA",
        # "Северный Кавказ | Кавказ.Реалии" set on every page): the visible headline reads better
        title = title_headline(tree, title, raw_title) or title
    if not headline and not heading_holds_title(tree, title):
        # a title that no heading of the page shows, on a page without <h1>: the site's name set
        # for every page ("National Assembly of the Republic of Armenia") rather than the headline
        # its CMS sets in an <h2>/<h3> (followed by the story's prose, not a link)
        title = lone_headline(tree, levels=("h2", "h3"), by_class=False) or title

    author_candidates = _names(article.get("author")) or [
        v for k in ("author", "article:author", "dc.creator", "byl", "sailthru.author", "parsely-author")
        if (v := metas.get(k))
    ]
    outlet = own_names if _is_organization(article.get("author")) else ()
    author = join_authors(author_candidates, site_name, host, outlet) or visible_byline(tree, site_name, host)

    published, source = _text(article.get("datePublished")) or None, "json-ld"
    if not published:
        source = "meta"
        published = next((metas[k] for k in (
            "article:published_time", "og:published_time", "datepublished", "publishdate", "publish-date",
            "pubdate", "dc.date.issued", "dcterms.created", "date", "sailthru.date", "parsely-pub-date",
        ) if k in metas), None)
    modified = _text(article.get("dateModified")) or metas.get("article:modified_time")

    base = url
    canonical = None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split():
            canonical = _absolute(link.get("href"), base)
            break
    canonical = canonical or _absolute(metas.get("og:url"), base)

    return PageMetadata(
        title=title,
        author=author,
        published=published,
        published_source=source if published else None,
        modified=modified or None,
        canonical_url=canonical,
        declared_language=_language(tree, metas),
        site_name=site_name,
        headline=headline,
        article_body=_plain_body(_text(article.get("articleBody"))),
    )
