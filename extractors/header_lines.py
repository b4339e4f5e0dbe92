"""Lines that head or frame an article rather than tell it: a date line, a breadcrumb, a news
ticker's time-stamped headlines, a header glued in front of the first paragraph. Pure functions
over one line (or a list of paragraphs), shared by the HTML cleaner and the plain-text cleaner.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+")
_YEAR = re.compile(r"\b(?:19[89]\d|20[0-4]\d)\b")
_LETTER_WORD = re.compile(r"[^\W\d_]+")
_TIME_OR_DAY = re.compile(r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\b")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def is_dateline(text: str, words: int | None = None) -> bool:
    """A short line that is only a date (and time): "Mardi 3 mai 2022, 14:05", "20.11.2019 11:28", or
    two of them under labels ("Yayınlanma: 01.12.2026 - 16:40 Güncelleme: 02.12.2026 - 10:05",
    whose numbers count as words: at most four words that are not numbers)."""
    words = _words(text) if words is None else words
    if words > 10 and (words > 16 or len(_LETTER_WORD.findall(text)) > 4):
        return False
    if text.rstrip().endswith((".", "!", "?", "»", '"')) or not _YEAR.search(text):
        return False
    return len(_TIME_OR_DAY.findall(_YEAR.sub(" ", text))) >= 1


# A time or date stamp opening a line: "14:10 • 09.11.21", "09.11.2021 14:10", "14:10", "12/03/2022 |"
_STAMP = re.compile(r"^\W*(?:\d{1,2}[:.]\d{2}(?![.\d])|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})"
                    r"(?:[\s,•·|–—-]+(?:\d{1,2}[:.]\d{2}(?![.\d])|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}))*[\s,•·|–—-]+\S")
STAMPED_RUN = 3  # this many stamped headlines in a row are a news ticker, not the story
STAMPED_MAX_WORDS = 25  # live-blog entries are longer than ticker headlines
# A headline is a phrase; a live-blog entry is a report of one or more sentences ("10:20 The premier
# voted in Vake."). A full stop (not an ellipsis: a cut teaser; headlines may ask or exclaim) says which.
# ":" after an Armenian letter is the full stop "։", as typed on keyboards that lack it
ARMENIAN_STOP = r"(?<=[\u0531-\u0556\u0561-\u0587]):"
_SENTENCE_FINAL = re.compile(rf"(?<![.…])(?:[.։。]|{ARMENIAN_STOP})[\"'”»’)\]]*$")


def is_stamped_headline(text: str) -> bool:
    """A short line that opens with a time or date stamp: one item of a news ticker or feed list.
    Not a sentence (a live blog's entries are the article), nor a table row ("| 10:00-16:00 | …":
    a schedule in the body)."""
    return (bool(_STAMP.match(text)) and _words(text) <= STAMPED_MAX_WORDS and not text.startswith("|")
            and not _SENTENCE_FINAL.search(text))


def drop_stamped_runs(paragraphs: list[str]) -> list[str]:
    """Without runs of ``STAMPED_RUN`` or more stamped headlines ("14:10 • 09.11.21 Headline").

    Regional sites put a news ticker or "latest news" list after the body; its items are
    time-stamped headlines, full of place names, which would otherwise decide relevance.
    """
    flags = [is_stamped_headline(p) for p in paragraphs]
    keep = [True] * len(paragraphs)
    i = 0
    while i < len(flags):
        j = i
        while j < len(flags) and flags[j]:
            j += 1
        if j - i >= STAMPED_RUN:
            keep[i:j] = [False] * (j - i)
        i = max(j, i + 1)
    return [p for p, k in zip(paragraphs, keep) if k]


# A date (and time) as an article header shows it: "03.12.2026", "3.12.2026 14:30", "2026-12-03 09:40".
_HEADER_STAMP = re.compile(r"^(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})(?:[,\s|•-]+\d{1,2}:\d{2})?[\s|•-]+(?=\w)")


def without_glued_header(first: str, titles: list[str]) -> str:
    """The first paragraph without the article's header glued in front of it: when the body is a
    single paragraph, an extractor may run the headline, the date line and the text into one line
    ("В Цхинвали отключат газ на два дня 03.12.2026 В связи с…"). The headline goes (the record
    has a title field), then a date stamp right after it; only when a sentence follows."""
    for title in titles:
        if _words(title) >= 3 and first.startswith(title + " "):
            rest = first[len(title):].lstrip()
            rest = _HEADER_STAMP.sub("", rest, count=1)
            if rest[:1].isupper() and _words(rest) >= 5:
                return rest
    return first


_CRUMB_SEPARATOR = re.compile(r"\s+[>›»/→]\s+")


def is_breadcrumb(text: str, words: int | None = None) -> bool:
    """The site's path to the page: "Accueil > Économie > <headline>", "Главная / Новости / …"
    — three parts or more, the first ones a word or two each, no sentence end."""
    parts = _CRUMB_SEPARATOR.split(text.strip())
    words = _words(text) if words is None else words
    if len(parts) < 3 or words > 30 or text.rstrip().endswith((".", "!", "?")):
        return False
    return all(_words(part) <= 3 for part in parts[:-1])


# "By Alan Tsorionov", "Автор: Иван Петров", "Հեղինակ՝ Անի Մելքոնյան", "Text and photos by …": the
# label, then a name (its words capitalised where the script has capitals), then perhaps the
# separator that stood before a date the line has lost ("By Alan Tsorionov·").
# The words that label a writer's credit, in the region's languages (``metadata`` reads the name after them)
WRITER_LABELS = ("автор|author|yazar|müəllif|հեղինակ|ავტორი"
                 "|reporter|correspondent|корреспондент|muhabir|müxbir|թղթակից|კორესპონდენტი")
_BYLINE_LABEL = re.compile(
    r"^(?:(?:(?:text|words|story|reporting|photos?)(?:\s+(?:and|&)\s+(?:photos?|text|words))?|posted|written)\s+by|by"
    rf"|{WRITER_LABELS}|текст)(?:\s*[:՝：]\s*|\s+)", re.I)
_NAME_WORD = re.compile(r"^(?:[^\W\d_][\w.'’-]*)$")
_BYLINE_TAIL = re.compile(r"[\s·•|,–—-]+$")
BYLINE_MAX_NAME_WORDS = 8  # two or three writers' names ("By Ann Lee and Tom Hart")
_NAME_JOINERS = frozenset({"and", "&", "и", "və", "ve", "և", "და", "et", "und", "y", "e"})


def is_byline(text: str) -> bool:
    """A line that only credits the writer: the author field says it, the text does not need it."""
    label = _BYLINE_LABEL.match(text)
    if not label:
        return False
    name = _BYLINE_TAIL.sub("", text[label.end():]).split()
    if not 1 <= len(name) <= BYLINE_MAX_NAME_WORDS or name[-1][-1:] in ".!?։":
        return False
    for word in name:
        if word.casefold() in _NAME_JOINERS:
            continue
        if not _NAME_WORD.match(word):
            return False
        # a lower-case word where the script has capitals is a sentence ("By the evening …");
        # Georgian writes names without them (Unicode's Mtavruli capitals are not used in text)
        if word[0].lower() != word[0].upper() and not word[0].isupper() and not "\u10d0" <= word[0] <= "\u10ff":
            return False
    return True
