"""Bytes → text for an HTML page: the charset from the byte order mark, the HTTP header and the
page's own <meta>, settled against what the bytes bear out (``settle_charset``), with control
bytes dropped. ``extractors.html`` re-exports these for its callers."""

from __future__ import annotations

import codecs
import re

# --- decoding --------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
_META_SCAN_BYTES = 4096

# Labels whose real-world meaning is a superset encoding (WHATWG encoding standard).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-sjis": "shift_jis",
    "utf8": "utf-8",
}


def charset_label(label: str | None) -> str | None:
    """A charset label as Python's codec name (WHATWG supersets for latin-1/ascii…), None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def http_charset(content_type: str | None) -> str | None:
    """The charset named by an HTTP Content-Type header, if it is one Python knows."""
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return charset_label(match.group(1)) if match else None


def meta_charset(data: bytes) -> str | None:
    """The charset declared by the page itself in its first few KB."""
    match = _META_CHARSET.search(data[:_META_SCAN_BYTES])
    return charset_label(match.group(1).decode("ascii", "ignore")) if match else None


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode a page body to text: BOM, HTTP charset, <meta charset>, UTF-8, then a sniffed charset.

    NUL and other C0 control characters are dropped from the result: they are never text, and a
    NUL makes lxml give up on the markup (a page with one in its title came out as raw HTML).
    """
    return _CONTROLS.sub("", _decode_html(data, content_type))


# C0 controls but tab, newline, form feed and carriage return; DEL.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


def settle_charset(data: bytes, header: str | None, own: str | None) -> str | None:
    """The charset to read ``data`` with, given the HTTP header's and the document's own labels.

    When they disagree one of them is wrong, and with two single-byte Cyrillic charsets (the
    region's old sites: windows-1251, KOI8-R) either label decodes any bytes, into text or into
    "рБЫЙОСО ЧУФТЕФЙМУС". The header wins (as the specs say) unless the bytes say otherwise: strict
    UTF-8 when one label is UTF-8, else charset-normalizer's choice between the two labels.
    """
    if not header or not own or header == own:
        return header or own
    if "utf-8" in (header, own):
        try:
            data.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError:
            return own if header == "utf-8" else header
    sample = data[:200_000]
    if _non_ascii(sample) < SNIFF_MIN_NON_ASCII:
        return header  # too little evidence against the header
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(sample, cp_isolation=[header, own]).best()
    except Exception:  # an isolation label charset-normalizer does not know: keep the header
        return header
    chosen = charset_label(best.encoding) if best is not None else None
    return chosen if chosen in (header, own) else header


def _decode_html(data: bytes, content_type: str | None = None) -> str:
    if isinstance(data, str):
        return data
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    header, own = http_charset(content_type), meta_charset(data)
    if header and own and not header.startswith(("utf-16", "utf-32")) and not own.startswith(("utf-16", "utf-32")):
        header = settle_charset(data, header, own)
    if (header or own or "utf-8") != "utf-8" and _valid_utf8_text(data):
        # Valid UTF-8 with letters beyond ASCII is UTF-8 whatever a label says: a single-byte
        # charset's text (windows-1251 Cyrillic, Latin-1) never forms long valid UTF-8 sequences,
        # while CMSs and servers keep a legacy label after the site moved to UTF-8
        return data.decode("utf-8")
    for declared in (header, own):
        if declared is None:
            continue
        # A page that says utf-16 but reached us as ASCII-compatible bytes lies (the meta tag
        # could not even be read otherwise): ignore that label.
        if declared.startswith("utf-16") or declared.startswith("utf-32"):
            continue
        if declared == "utf-8":
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError:
                # Mislabelled legacy page: more often cp1252 than broken UTF-8 with a few bad bytes.
                return _utf8_or_cp1252(data)
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            return _sniffed(data)  # the label lies (or is unknown): let the bytes say
    return _utf8_or_cp1252(data)


_ASCII = bytes(range(0x80))


def _non_ascii(data: bytes) -> int:
    """Bytes from 0x80 on (a C-level delete of the ASCII ones: a Python loop cost ~10 ms a page)."""
    return len(data.translate(None, _ASCII))


UTF8_EVIDENCE_BYTES = 16  # non-ASCII bytes a valid UTF-8 body must have to overrule a label


def _valid_utf8_text(data: bytes) -> bool:
    if _non_ascii(data[:200_000]) < UTF8_EVIDENCE_BYTES:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_or_cp1252(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        # Mostly valid UTF-8 with a stray byte: keep UTF-8 (replacing the stray bytes), since
        # reading real UTF-8 as cp1252 garbles every non-ASCII letter of the page.
        bad = data[err.start:].decode("utf-8", errors="replace").count("\ufffd")
        non_ascii = _non_ascii(data)
        if non_ascii and bad / non_ascii < 0.02:
            return data.decode("utf-8", errors="replace")
        return _sniffed(data)


SNIFF_MIN_NON_ASCII = 32  # fewer non-ASCII bytes are too little evidence: cp1252, the usual mislabel


def _sniffed(data: bytes) -> str:
    """Not UTF-8 and no label to trust: charset-normalizer's best reading, else cp1252."""
    from charset_normalizer import from_bytes

    sample = data[:200_000]
    if _non_ascii(sample) < SNIFF_MIN_NON_ASCII:
        return data.decode("cp1252", errors="replace")
    best = from_bytes(sample).best()
    if best is not None and best.encoding:
        return data.decode(best.encoding, errors="replace")
    return data.decode("cp1252", errors="replace")




def decode_plain_text(data: bytes) -> str:
    """Bytes of a plain-text file → text: its byte order mark (UTF-8, UTF-16), else UTF-8, else what
    the bytes bear out (charset-normalizer: a Russian file in cp1251 is not cp1252 mojibake)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    return _utf8_or_cp1252(data)
