"""langdetect's profiles as one memory-mapped table: a ``DetectorFactory`` ready in milliseconds.

langdetect keeps, per n-gram, a list of one probability per language (``word_lang_prob_map``).
For the 31 languages written in Latin letters that is 24,000 lists of 31 floats: parsing the JSON
profiles costs ~0.2 s, unpickling the built factory ~0.12 s — a third of a one-page
``newswatch extract``. A detection looks up only the n-grams of its own sample (a few hundred), so
the table is stored as it is used: the n-grams (marshal) and one row of doubles per n-gram, read
through a memory map — only the pages a text touches are ever read.

``ProfileRows`` stands in for the dict: ``in``, ``[]``, ``len`` and iteration as langdetect's
``Detector`` uses them, each row a read-only sequence of the same doubles (bit for bit: the
probabilities, and so the detections, are those of the JSON profiles).

File layout (native byte order; the cache key holds the interpreter and the byte order):
``MAGIC``, header length (8 bytes), marshal of (languages, n-grams), zero padding to 8 bytes,
then ``len(n-grams) × len(languages)`` doubles, row by row.
"""

from __future__ import annotations

import marshal
import mmap
import struct
from array import array
from collections.abc import Iterator, Mapping, Sequence
from typing import BinaryIO

from langdetect.detector_factory import DetectorFactory

from extractors.compiled_cache import Codec

MAGIC = b"NWLDTAB1"
_HEAD = struct.Struct("=8sQ")


class ProfileRows(Mapping):
    """n-gram → the probability of each language (in the factory's ``langlist`` order)."""

    __slots__ = ("_index", "_rows", "_width")

    def __init__(self, ngrams: list[str], rows: Sequence[float], width: int) -> None:
        self._index = dict(zip(ngrams, range(len(ngrams))))
        self._rows = rows
        self._width = width

    @property
    def index(self) -> dict[str, int]:
        """n-gram → its row number: the keys as a plain dict, for fast membership tests."""
        return self._index

    def __getitem__(self, ngram: str) -> Sequence[float]:
        start = self._index[ngram] * self._width
        return self._rows[start:start + self._width]

    def __contains__(self, ngram: object) -> bool:
        return ngram in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def dump_factory(factory: DetectorFactory, fh: BinaryIO) -> None:
    languages = list(factory.langlist)
    ngrams = list(factory.word_lang_prob_map)
    header = marshal.dumps((languages, ngrams))
    fh.write(_HEAD.pack(MAGIC, len(header)))
    fh.write(header)
    fh.write(b"\0" * (-(_HEAD.size + len(header)) % 8))
    rows = array("d")
    for ngram in ngrams:
        row = factory.word_lang_prob_map[ngram]
        if len(row) != len(languages):
            raise ValueError(f"profile row of {ngram!r} has {len(row)} values for {len(languages)} languages")
        rows.extend(row)
    rows.tofile(fh)


def load_factory(fh: BinaryIO) -> DetectorFactory:
    """The factory of a table written by ``dump_factory`` (without a seed: the caller sets it)."""
    mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # stays valid after fh is closed
    magic, size = _HEAD.unpack_from(mapped, 0)
    if magic != MAGIC:
        raise ValueError("not a langdetect profile table")
    languages, ngrams = marshal.loads(mapped[_HEAD.size:_HEAD.size + size])
    start = _HEAD.size + size + (-(_HEAD.size + size) % 8)
    rows = memoryview(mapped)[start:].cast("d")
    if len(rows) != len(ngrams) * len(languages):
        raise ValueError(f"profile table truncated: {len(rows)} values for {len(ngrams)} × {len(languages)}")
    factory = DetectorFactory()
    factory.langlist = languages
    factory.word_lang_prob_map = ProfileRows(ngrams, rows, len(languages))
    return factory


PROFILE_TABLE = Codec("ldtable", dump_factory, load_factory, __file__)
