"""The bytes of a feed made readable before feedparser sees them: where the document starts, which
charset it is really in, and the ampersands a hand-written feed leaves bare. Each repair changes only
what a strict XML parser would refuse or misread; a well-formed, correctly labelled feed passes
through unchanged."""

from __future__ import annotations

import codecs
import html
import re
from urllib.parse import urljoin


_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*\bencoding\s*=\s*[\"']([\w.:-]+)")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")


_LEADING_JUNK_MAX = 4096
_DOCUMENT_START = re.compile(rb"<\?xml\s|<(?:rss|feed|rdf:RDF)[\s>]")


def from_the_declaration(body: bytes) -> bytes:
    """The feed from its XML declaration (or root) on, when something precedes it: blank lines
    and a byte order mark, or a PHP notice printed before the feed ("<br /><b>Warning</b>: …").
    Every poll logged such a feed as malformed though nothing in the feed itself is wrong."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:RDF")):
        return start
    found = _DOCUMENT_START.search(body, 0, _LEADING_JUNK_MAX)
    return body[found.start():] if found else body


_DECLARED_ENCODING = re.compile(r"^(\s*<\?xml[^>]*?\bencoding\s*=\s*[\"'])[\w.:-]+")


def _declared_utf8(text: str) -> str:
    """The document with its XML declaration (if it names an encoding) saying utf-8."""
    return _DECLARED_ENCODING.sub(r"\1utf-8", text, count=1)


_UTF_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def unmarked(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """A UTF-16/32 document as UTF-8, with the charset labels saying so. Its byte order mark is
    the surest sign of its encoding (XML 1.0 appendix F; WHATWG: a BOM outranks the header), but
    feedparser follows a header that says ``charset=utf-8`` or ``text/xml`` and fails on the
    first byte. Checked longest BOM first: UTF-32 LE starts with the UTF-16 LE mark."""
    for bom, codec in _UTF_BOMS:
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                return body, content_type
            text = _declared_utf8(text.lstrip("\ufeff"))
            media = (content_type or "application/xml").split(";")[0].strip() or "application/xml"
            return text.encode("utf-8"), f"{media}; charset=utf-8"
    return body, content_type


def settled_content_type(body: bytes, content_type: str) -> str:
    """``content_type`` with the charset the bytes bear out (feedparser follows the header, as the
    spec says, else the XML declaration):
    - bytes that are valid UTF-8 with non-ASCII text are UTF-8 whatever the labels say: text in a
      single-byte charset (windows-1251 Cyrillic, Latin-5 Turkish) is practically never valid UTF-8;
    - a header of ISO-8859-1 (a web server's default, not the author's choice) yields to the
      feed's own declaration of another single-byte charset (ISO-8859-9 Turkish read as Latin-1
      gives "Iðdýr");
    - otherwise, when the header and the declaration disagree, ``extractors.charsets.settle_charset``."""
    from extractors.charsets import charset_label, http_charset, settle_charset

    header = http_charset(content_type)
    declared = _XML_ENCODING.match(body.lstrip(b"\xef\xbb\xbf")[:300])
    own = charset_label(declared.group(1).decode("ascii")) if declared else None
    label = header or own
    if label and not label.startswith(("utf-8", "utf-16", "utf-32")) and _utf8_text(body):
        return _with_charset(content_type, "utf-8")
    if header == _LATIN1_DEFAULT and own and not own.startswith("utf"):
        return _with_charset(content_type, own)
    if not header or not own or header == own or any(c.startswith(("utf-16", "utf-32")) for c in (header, own)):
        return content_type
    chosen = settle_charset(body, header, own)
    return content_type if chosen == header else re.sub(r"(?i)charset\s*=\s*[\"']?[\w.:-]+[\"']?", f"charset={chosen}", content_type)


_LATIN1_DEFAULT = "cp1252"  # how charset_label names ISO-8859-1, Latin-1 and US-ASCII (WHATWG)
_UTF8_MIN_NON_ASCII = 8
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _utf8_text(body: bytes) -> bool:
    """Non-ASCII text (some bytes ≥ 0x80) that decodes as strict UTF-8."""
    sample = body[:200_000]
    if sample.isascii() or len(_NON_ASCII.findall(sample)) < _UTF8_MIN_NON_ASCII:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as err:
        return err.start >= len(sample) - 3 and len(sample) < len(body)  # only a character cut by the sample's end
    return True


def _with_charset(content_type: str, charset: str) -> str:
    if re.search(r"(?i)charset\s*=", content_type):
        return re.sub(r"(?i)charset\s*=\s*[\"']?[\w.:-]+[\"']?", f"charset={charset}", content_type)
    return f"{content_type or 'application/xml'}; charset={charset}"


# An ampersand that starts no entity or character reference: "…?id=5&lang=ru" written by hand.
# XML forbids it, so feedparser's lenient fallback reads "&lang" as the HTML entity 〈.
_BARE_AMPERSAND = re.compile(rb"&(?!#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z][\w.-]*;)")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.S)


def escape_bare_ampersands(body: bytes) -> bytes:
    """``&amp;`` for every bare ``&`` outside CDATA sections (where ``&`` is the character itself)."""
    if b"&" not in body or not _BARE_AMPERSAND.search(body):
        return body
    parts = _CDATA.split(body)
    return b"".join(part if part.startswith(b"<![CDATA[") else _BARE_AMPERSAND.sub(b"&amp;", part) for part in parts)


_GUID = re.compile(rb"<guid\b[^>]*>\s*(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?\s*</guid>", re.S | re.I)
_ADDRESS_LIKE = re.compile(r"^(?:https?://|/|\.\.?/)|/")


def addressable_guids(body: bytes, base: str) -> frozenset[str]:
    """The guids the feed writes as an address or a path ("https://…", "/news/12.html", "a/12"),
    resolved against ``base`` as feedparser resolves them; not "g1", "12345" or a tag: URI."""
    found = set()
    for match in _GUID.finditer(body):
        raw = html.unescape(match.group(1).decode("utf-8", "replace")).strip()
        if raw and _ADDRESS_LIKE.search(raw) and not raw.startswith(("tag:", "urn:")):
            found.add(raw if raw.startswith(("http://", "https://")) else urljoin(base, raw))
    return frozenset(found)


def as_utf8_xml(data: bytes) -> bytes:
    """An XML document whose declaration names a non-Unicode charset, or names none, as UTF-8 with a
    declaration saying so (for listparser, which reads bytes as UTF-8 whatever is declared, and as
    Latin-1 when nothing is)."""
    declared = _XML_ENCODING.match(data[:300])
    if not declared:
        # No encoding declared and no byte order mark: XML says UTF-8 (listparser guesses Latin-1,
        # "Новый канал" came out "Ð\x9dÐ¾Ð²Ñ\x8bÐ¹"); say it, in a declaration of its own
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
            return data
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return data
        return b'<?xml version="1.0" encoding="utf-8"?>' + _XML_DECLARATION.sub(b"", data, count=1)
    name = declared.group(1).decode("ascii").lower()
    if name.replace("_", "-") in ("utf-8", "utf8", "us-ascii", "ascii") or name.startswith(("utf-16", "utf-32")):
        return data
    try:
        text = data.decode(name)
    except (LookupError, UnicodeDecodeError):
        return data
    return _declared_utf8(text).encode("utf-8")
