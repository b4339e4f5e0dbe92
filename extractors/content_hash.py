"""The content hash of one text, in plain Python (no numpy).

``extractors.fingerprint.content_hash`` normalises through numpy tables built over the whole Basic
Multilingual Plane: worth it for the dedup index's thousands of texts, but importing numpy and
building the tables costs ~0.2 s, a third of a one-page ``newswatch extract``. This module gives
the same string for one text by walking its characters with the same rules (tests check the two
agree on every fixture page and on hand-made edge cases):

* each BMP character is replaced by its NFKC casefold when that is one character;
* apostrophes are dropped (inside words they join: "don't" = "dont");
* runs of letters, digits and marks are the words; everything else separates; astral-plane
  characters count as word characters;
* the normalised text is the words joined by one space.
"""

from __future__ import annotations

import hashlib
import unicodedata
from functools import lru_cache

_APOSTROPHES = "'`´ʹʻʼʽ‘’‛′"  # as extractors.fingerprint._APOSTROPHES
_DROP, _SEPARATOR = "", " "


@lru_cache(maxsize=8192)
def _normal_char(ch: str) -> str:
    """The character as it appears in the normalised text: itself folded, "" dropped, " " a separator."""
    if ch == "\n":
        return _SEPARATOR
    cp = ord(ch)
    if cp >= 0x10000:
        return ch  # astral planes: word characters, unfolded (as the numpy path)
    if 0xD800 <= cp <= 0xDFFF:
        return _SEPARATOR  # lone surrogates: the numpy table leaves them as class 0
    folded = unicodedata.normalize("NFKC", ch).casefold()
    if len(folded) == 1:
        ch = folded
    if ch == "\n":
        return _SEPARATOR
    if ch in _APOSTROPHES:
        return _DROP
    return ch if unicodedata.category(ch)[0] in "LNM" else _SEPARATOR


def normalise_text(text: str) -> str:
    """Casefolded words in any script, single-spaced (equal to ``fingerprint.normalise_text``)."""
    return " ".join(word for word in "".join(map(_normal_char, text)).split(" ") if word)


def content_hash(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal for copies that differ only in form."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
