"""The feed list: read, validate (before any network), and move to and from OPML.

One validation serves ``newswatch feeds check`` and the poll (``flows.pipeline.load_feeds``),
so a list that ``feeds check`` accepts is one the poll accepts, and a bad list stops the
poll before it fetches anything. Every problem is one line naming the entry it is about.

What is checked: the file is YAML with a ``feeds`` list of mappings; each entry has only
known fields; ``id`` is lowercase-dashed (it names the feed's state object) and unique —
also after the normalisation that turns it into a state key, since two ids that share a
state object would share validators and back-off and overwrite each other's manifests;
``url`` is absolute http(s) with a host and appears once; ``country`` is a section code
(``am``, ``az``, ``ge``, ``ru-north-caucasus``, ``intl``) or an ISO 3166-1 alpha-2 code;
``language`` an ISO 639-1 code; ``status`` ``active`` or ``unverified``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from extractors.errors import ConfigError
from extractors.feed_bytes import as_utf8_xml
from extractors.records import Feed
from extractors.urls import normalise_url, without_credentials
from storage import layout

FIELDS = ("id", "name", "url", "country", "language", "status", "note")
SECTION_CODES = {"am", "az", "ge", "ru-north-caucasus", "intl"}
STATUSES = {"active", "unverified"}
ID_FORMAT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class FeedProblem:
    where: str  # "FILE: feed 3 (id)" or "FILE"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


# Folder names readers use for the sections newswatch has codes for
_FOLDER_SECTIONS = {"north caucasus": "ru-north-caucasus", "international": "intl", "world": "intl", "russia": "ru"}


def _folder_country(folder: str) -> str | None:
    """The country code an OPML folder names: a code ("az", "intl") or a country's name
    ("Azerbaijan", "Russian Federation", "North Caucasus"), as readers title their folders."""
    name = " ".join(folder.split())
    if name in SECTION_CODES or _iso_country(name):
        return name
    if name.casefold() in _FOLDER_SECTIONS:
        return _FOLDER_SECTIONS[name.casefold()]
    import pycountry

    try:
        return pycountry.countries.lookup(name).alpha_2.lower() if len(name) > 3 else None
    except LookupError:
        return None


def _iso_country(code: str) -> bool:
    import pycountry

    return len(code) == 2 and pycountry.countries.get(alpha_2=code.upper()) is not None


def _iso_language(code: str) -> bool:
    import pycountry

    return len(code) == 2 and code.islower() and pycountry.languages.get(alpha_2=code) is not None


def _url_problem(url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return "url is missing"
    shown = without_credentials(url)  # a private feed's password is never echoed
    if url != url.strip() or re.search(r"\s", url):
        return f"url {shown!r} contains white space"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"url {shown!r} is not http(s)"
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if not host:
        return f"url {shown!r} has no host"
    return None


def _entry_problems(item: Any) -> list[str]:
    if not isinstance(item, dict):
        return [f"an entry must be a mapping with id and url, not {type(item).__name__}"]
    problems = [f"unknown field {key!r} (known: {', '.join(FIELDS)})" for key in item if key not in FIELDS]
    feed_id = item.get("id")
    if not isinstance(feed_id, str) or not feed_id:
        problems.append("id is missing")
    elif not ID_FORMAT.match(feed_id) or len(feed_id) > MAX_ID_LENGTH:
        problems.append(f"id {feed_id!r} is not lowercase-dashed (a-z, 0-9 and single dashes, at most {MAX_ID_LENGTH})")
    url_problem = _url_problem(item.get("url"))
    if url_problem:
        problems.append(url_problem)
    for key in ("name", "note"):
        if key in item and not isinstance(item[key], str):
            problems.append(f"{key} must be text")
    country = item.get("country")
    if country is not None and not (isinstance(country, str) and (country in SECTION_CODES or _iso_country(country))):
        problems.append(f"country {country!r} is not one of {', '.join(sorted(SECTION_CODES))} "
                        "or an ISO 3166-1 alpha-2 code in lower case")
    language = item.get("language")
    if language is not None and not (isinstance(language, str) and _iso_language(language)):
        problems.append(f"language {language!r} is not an ISO 639-1 code in lower case")
    status = item.get("status")
    if status is not None and status not in STATUSES:
        problems.append(f"status {status!r} is not one of {', '.join(sorted(STATUSES))}")
    return problems


def _where(source: str, index: int, item: Any) -> str:
    feed_id = item.get("id") if isinstance(item, dict) else None
    return f"{source}: feed {index}" + (f" ({feed_id})" if isinstance(feed_id, str) and feed_id else "")


def validate(data: Any, source: str = "feed list") -> tuple[list[Feed], list[FeedProblem]]:
    """The feeds of a parsed feed list, and every problem found (an empty list: valid)."""
    if not isinstance(data, dict) or not isinstance(data.get("feeds"), list):
        return [], [FeedProblem(source, "not a feed list: expected a mapping with a 'feeds' list")]
    problems: list[FeedProblem] = []
    feeds: list[Feed] = []
    first_id: dict[str, str] = {}  # state key → the first id that has it
    first_url: dict[str, str] = {}
    for index, item in enumerate(data["feeds"], start=1):
        where = _where(source, index, item)
        own = _entry_problems(item)
        problems.extend(FeedProblem(where, message) for message in own)
        if not isinstance(item, dict):
            continue
        feed_id, url = item.get("id"), item.get("url")
        if isinstance(feed_id, str) and feed_id:
            state_key = layout.feed_state_key(feed_id).lower()  # case-insensitive stores fold case too
            if state_key in first_id:
                other = first_id[state_key]
                message = (f"id {feed_id!r} is used twice" if other == feed_id else
                           f"id {feed_id!r} collides with {other!r}: both would share {layout.feed_state_key(other)}")
                problems.append(FeedProblem(where, message))
            else:
                first_id[state_key] = feed_id
        if isinstance(url, str) and url:
            # the address as a poll fetches it: case, a fragment, trackers or a default port make no other feed
            same = normalise_url(url) or url
            if same in first_url:
                problems.append(FeedProblem(where, f"url {without_credentials(url)} is already the url of feed {first_url[same]!r}"))
            else:
                first_url[same] = str(feed_id)
        if not own:
            feeds.append(Feed(id=feed_id, name=str(item.get("name") or feed_id), url=url, country=item.get("country"),
                              language=item.get("language"), status=item.get("status") or "active",
                              note=item.get("note") or ""))
    return feeds, problems


MAX_FEED_LIST_BYTES = 5_000_000  # ~20,000 feeds; anything bigger is the wrong file (/dev/zero, a dump)


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping: PyYAML keeps the last silently, so a
    feed whose ``url:`` was pasted twice polled the second one without a word."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"key {key!r} given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def check_file(path: str | Path) -> tuple[list[Feed], list[FeedProblem]]:
    """Read and validate a feed list file (no network)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FEED_LIST_BYTES + 1)
        if len(raw) > MAX_FEED_LIST_BYTES:
            return [], [FeedProblem(str(path), f"larger than {MAX_FEED_LIST_BYTES // 1_000_000} MB: not a feed list")]
        data = yaml.load(raw.decode("utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader
    except OSError as exc:
        return [], [FeedProblem(str(path), f"cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return [], [FeedProblem(str(path), "not UTF-8 text")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        return [], [FeedProblem(str(path), f"not valid YAML{at}: {getattr(exc, 'problem', None) or exc}")]
    return validate(data, str(path))


def read_feeds(path: str | Path) -> list[Feed]:
    """The validated feeds of a list; ``ConfigError`` (one line) when it has any problem."""
    feeds, problems = check_file(path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ConfigError(f"bad feed list: {problems[0]}{more}; see `newswatch feeds check {path}`")
    return feeds


# OPML -----------------------------------------------------------------------------------------


def to_opml(feeds: list[Feed], title: str = "newswatch feeds") -> str:
    """OPML 2.0: one folder outline per country (readers show them as folders), one rss outline per feed."""
    import xml.etree.ElementTree as ET

    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.country:
            if feed.country not in folders:
                folders[feed.country] = ET.SubElement(body, "outline", text=feed.country, title=feed.country)
            parent = folders[feed.country]
        # a private feed's user:password is never shown (the list file is where it lives)
        attributes = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": without_credentials(feed.url)}
        if feed.language:
            attributes["language"] = feed.language
        attributes["newswatchId"] = feed.id  # kept by a round trip through newswatch; other readers ignore it
        ET.SubElement(parent, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# The region's letters NFKD leaves without a Latin base: Azerbaijani ə and ı, and the Cyrillic,
# Armenian and Georgian alphabets (simple national romanisations), so "Report.az - Son xəbərlər"
# is report-az-son-xeberler and "Новости Армении" novosti-armenii, not a host-derived id.
_ROMAN = str.maketrans({
    **dict(zip("əƏıİ", ["e", "e", "i", "i"])),
    **dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
               "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split())),
    **dict(zip("աբգդեզէըթժիլխծկհձղճմյնշոչպջռսվտրցւփքօֆ",
               "a b g d e z e y t zh i l kh ts k h dz gh ch m y n sh o ch p j r s v t r ts v p k o f".split())),
    **dict(zip("აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ",
               "a b g d e v z t i k l m n o p zh r s t u p k gh q sh ch ts dz ts ch kh j h".split())),
})


def slug(text: str) -> str:
    """A lowercase-dashed id from a feed's title (the region's scripts romanised; other scripts dropped)."""
    import unicodedata

    romanised = text.lower().replace("ու", "u").translate(_ROMAN).replace("_", "")  # Armenian's one digraph
    ascii_text = unicodedata.normalize("NFKD", romanised).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:MAX_ID_LENGTH].strip("-")


def from_opml(data: bytes, existing: list[Feed] = ()) -> tuple[list[dict], list[str]]:
    """Feed-list entries for the subscriptions of an OPML file that the list does not have yet.

    Parsed with listparser. The id comes from newswatch's own attribute when the file was
    exported by newswatch, else from the title (or the host) made unique; the country from
    the folder when it is a known code. Returns (entries, skipped lines).
    """
    import listparser

    if not data.strip():
        raise ConfigError("not an OPML subscription list: the file is empty")
    data = as_utf8_xml(data)  # listparser reads the bytes as UTF-8 whatever the declaration says
    parsed = listparser.parse(data)
    if parsed.bozo and not parsed.feeds:
        raise ConfigError(f"not an OPML subscription list: {parsed.bozo_exception}")
    if not parsed.get("version"):  # listparser reads text, HTML or a PNG as an empty list
        raise ConfigError("not an OPML subscription list: no <opml> document in the file")
    damage = _xml_damage(data)
    if damage and not parsed.feeds:
        raise ConfigError(f"not a readable OPML file: {damage}")
    ids = {feed.id for feed in existing}
    urls = {feed.url for feed in existing}
    own_ids = _newswatch_ids(data)
    entries, skipped = [], []
    if damage:  # a truncated export: what stands before the damage is still worth importing
        skipped.append(f"the file is damaged ({damage}): {len(parsed.feeds)} subscription(s) could still be read")
    for item in parsed.feeds:
        url = (item.get("url") or "").strip()
        problem = _url_problem(url)
        if problem:
            skipped.append(f"{item.get('title') or url}: {problem}")
            continue
        if url in urls:
            skipped.append(f"{url}: already in the list")
            continue
        title = (item.get("title") or "").strip() or (urlsplit(url).hostname or "feed")
        base = own_ids.get(url) or slug(title) or slug(urlsplit(url).hostname or "") or "feed"
        feed_id, n = base, 2
        while feed_id in ids:
            feed_id, n = f"{base[:MAX_ID_LENGTH - 4]}-{n}", n + 1
        entry = {"id": feed_id, "name": title, "url": url}
        folders = [c[-1] for c in item.get("categories") or [] if c]
        country = next(filter(None, map(_folder_country, folders)), None)
        if country:
            entry["country"] = country
        language = _languages(data).get(url)
        if language and _iso_language(language):
            entry["language"] = language
        entry["status"] = "unverified"
        ids.add(feed_id)
        urls.add(url)
        entries.append(entry)
    return entries, skipped


def _xml_damage(data: bytes) -> str:
    """Why the bytes are not well-formed XML ("" when they are); no entity or network access."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return " ".join(str(exc).split())
    return ""


def _outline_attributes(data: bytes, name: str) -> dict[str, str]:
    """xmlUrl → an attribute listparser does not keep (newswatchId, language)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return {}
    return {o.get("xmlUrl", "").strip(): o.get(name) for o in root.iter("outline") if o.get("xmlUrl") and o.get(name)}


def _newswatch_ids(data: bytes) -> dict[str, str]:
    return {url: value for url, value in _outline_attributes(data, "newswatchId").items() if ID_FORMAT.match(value)}


def _languages(data: bytes) -> dict[str, str]:
    return _outline_attributes(data, "language")


def entries_yaml(entries: list[dict]) -> str:
    """Entries in the flow style of config/feeds.yaml, one line each, ready to append under ``feeds:``."""
    lines = []
    for entry in entries:
        parts = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in entry.items())
        lines.append(f"  - {{{parts}}}")
    return "\n".join(lines) + ("\n" if lines else "")


def _yaml_scalar(value: str) -> str:
    import json

    # A JSON string is a valid double-quoted YAML scalar, safe inside a flow mapping. Bare only
    # when YAML reads the word back as this very string: "1", "yes", "on" or "null" would come
    # back as a number, a boolean or nothing (an outlet called "ON" has the id "on").
    if re.fullmatch(r"[a-z0-9-]+", value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)
