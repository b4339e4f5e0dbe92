"""Language data for the plain-text cleaner: stop-words, month names, date and byline patterns.

Kept apart from ``extractors.text`` so the cleaner's logic reads in one sitting; what chrome
says in each language (share rows, "read also", copyright...) is in ``extractors.boilerplate``.
"""

from __future__ import annotations

import re
from datetime import date

from extractors.date_text import find_dates  # one date parser for pages and plain text

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")


# ---------------------------------------------------------------- language data
# Small stop-word lists: enough to tell a sentence from a list of names or a menu.
_STOPWORDS = {
    "en": "the a an and or of to in on at for with by from that this is are was were be been has have had it its "
          "as not but which who will would said says their they he she we after before over about than also",
    "ru": "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне было "
          "вот от меня еще ещё нет о из ему когда даже ли если уже или ни быть был была были него до вас при "
          "также этом этого это эти который которые которая что чтобы где после заявил сообщил для без под над об про через между будет будут может их этот эта том там тем чем свой своей",
    "fr": "le la les un une des de du et en à au aux ce ces cette dans par pour sur avec qui que quoi ne pas plus "
          "est sont a ont été être se sa son ses leur leurs il elle ils elles nous vous on mais ou où selon après",
    "de": "der die das den dem des ein eine einer eines und oder in im an am auf aus bei mit nach von vor zu zum "
          "zur ist sind war waren wird werden hat haben nicht auch sich es er sie wir ihr dass als wie für über",
    "tr": "ve ile bir bu şu da de ki için gibi daha çok en ama fakat veya ya olarak olan oldu olduğu sonra önce "
          "kadar göre ise her ne mi mı değil var yok tarafından ilk bu nedenle ayrıca dedi",
    "az": "və ilə bir bu o da də ki üçün kimi daha çox ən amma lakin və ya olaraq olan oldu olduğu sonra əvvəl "
          "qədər görə isə hər nə deyil var yox tərəfindən ilk həmçinin edib edilib olunub bildirib",
    "hy": "և ու է են էր էին որ այդ այս այն նա նրանք մենք դուք ես մի ինչ ինչպես համար հետ մեջ վրա իսկ բայց "
          "կամ թե նաև արդեն շատ ավելի որը որոնք պետք ըստ մասին կողմից",
    "ka": "და რომ ეს ის არ ვერ არის იყო იქნება მაგრამ თუ ან რაც რომელიც რომლის უნდა ასევე კი ამ იმ მისი მათი "
          "ერთ ყველა როგორც უფრო ხოლო შემდეგ მიერ შესახებ თქმით განაცხადა",
}
STOPWORDS = {lang: frozenset(words.split()) for lang, words in _STOPWORDS.items()}
# Share of stop-words in a sentence: high in analytic languages, low in agglutinative ones
# (Turkish, Azerbaijani, Georgian, Armenian glue their function words onto the noun).
STOP_THRESHOLD = {"en": 0.15, "fr": 0.15, "de": 0.12, "ru": 0.08, "tr": 0.04, "az": 0.04, "hy": 0.04, "ka": 0.04}


def stop_ratio(text: str, lang: str | None) -> float:
    words = [w.casefold() for w in _WORD.findall(text)]
    stops = STOPWORDS.get(lang or "")
    if not words or not stops:
        return 0.0
    return sum(w in stops for w in words) / len(words)


def guess_language(text: str) -> str | None:
    """The stop-word list that fits best (script first); only to pick thresholds."""
    sample = text[:20000]
    if len(re.findall(r"[\u0531-\u058f]", sample)) > 20:
        return "hy"
    if len(re.findall(r"[\u10a0-\u10ff]", sample)) > 20:
        return "ka"
    words = [w.casefold() for w in _WORD.findall(sample)]
    if not words:
        return None
    scores = {lang: sum(w in stops for w in words) for lang, stops in STOPWORDS.items()}
    if "ə" in sample.casefold() and scores["az"] >= scores["tr"] * 0.5:
        return "az"
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 0.05 * len(words) else None


DATE_LABEL = re.compile(r"(?i)\b(?:date|dated|published|posted(?: on)?|updated|last updated|on|"
                        r"дата|опубликовано|обновлено|publié(?: le)?|mis à jour(?: le)?|le|"
                        r"veröffentlicht(?: am)?|aktualisiert(?: am)?|stand|yayınlanma|güncelleme|"
                        r"yayın tarihi|tarix|tarih|ամսաթիվ|թարմացվել|თარიღი|გამოქვეყნდა)\b\s*[:：]?")
AUTHOR_LABEL = re.compile(r"(?i)^\W*(?:author|authors|written by|by|автор|авторы|текст|par|von|yazar|"
                          r"müəllif|հեղինակ|ავტორი)\s*[:：՝—–-]?\s+(\S.{0,60})$")
READING_TIME = re.compile(r"(?i)\d+\s*(?:min|mins|minutes?|мин\w*|dk|dakika|dəq\w*|րոպե|წთ|წუთ\w*)\b")
VIEWS = re.compile(r"(?i)(?:views?|просмотр\w*|vues|aufrufe|görüntülenme|okunma|baxış\w*|դիտում\w*|ნახვ\w*)"
                   r"(?:\s+\w+)?\s*[:：]?\s*\d|\d\s*(?:views?|просмотр\w*|vues)\b")


def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first plausible calendar date in ``text`` as (ISO date, span), or None: the page
    reader's parser (``date_text.find_dates``), never in the future nor before the web-news era."""
    for found in find_dates(text, limit=4):
        if date(1990, 1, 1) <= found.day <= date.today():
            return found.day.isoformat(), (found.start, found.end)
    return None
