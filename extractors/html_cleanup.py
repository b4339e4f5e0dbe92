"""General boilerplate rules applied around trafilatura: labels, and the paragraphs it returns.

The tree before trafilatura is pruned by ``html_prune``; what is left to drop in its text is
found by *language-aware patterns*, never by one site's markup: captions and photo credits,
"Source link" lines, share counters, "Read also" lines, reader notices, repeated paragraphs,
and the lines ``header_lines`` knows: bare date lines, breadcrumbs, news tickers' stamped headlines. ``starts_with_label`` (the related-articles
labels in the region's languages) serves both levels.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Callable, Iterable

from extractors.header_lines import (  # noqa: F401 - ARMENIAN_STOP, drop_stamped_runs, is_stamped_headline: this module's API too
    ARMENIAN_STOP, drop_stamped_runs, is_breadcrumb, is_byline, is_dateline, is_stamped_headline, without_glued_header,
)

# Labels that introduce links to other articles, in the region's languages and the big ones.
# Phrases ("read also", "lire aussi", "читайте также") almost never open a sentence of prose;
# single words ("Related", "Tags", "Trending") count only as a label: followed by a separator
# or alone. Blocks must also be short (see _label_block), so prose is rare to hit.
_PHRASE_LABELS = (
    r"read (?:also|more|next)|also read|see also|related (?:articles?|posts?|stories|news|content|topics?|links?|reading)"
    r"|more (?:on this|stories|news|articles)|you (?:may|might) (?:also )?(?:like|be interested)|recommended for you"
    r"|filed under|most (?:read|popular|viewed)|latest (?:news|posts|articles)|new articles|top stories|don'?t miss"
    r"|(?:à |a )?lire (?:aussi|également|ensuite)|voir aussi|à voir (?:aussi|également)|sur le même sujet|dans la même rubrique"
    r"|lesen sie (?:auch|mehr)|mehr zum thema|auch interessant|leggi anche|leia (?:também|mais)|lea también|te puede interesar"
    r"|читайте (?:также|тоже|еще|ещё)|смотрите также|см\. также|читать также|последние новости|другие новости"
    r"|about the author|об авторе|à propos de l'auteur|über den autor|müəllif haqqında|yazar hakkında"
    r"|հեղինակի մասին|ავტორის შესახებ"
    r"|также читайте|новости по теме|похожие новости|похожие материалы"
    r"|կարդացեք նաև|կարդա նաև|տես նաև|ასევე (?:წაიკითხეთ|იხილეთ|ნახეთ)|მსგავსი სიახლეები"
    r"|həmçinin (?:oxuyun|bax)|oxşar xəbərlər|digər xəbərlər|ayrıca (?:okuyun|bakınız)|ilgili haberler|bunlar da ilginizi"
)
_WORD_LABELS = (
    r"related|recommended|trending|tags?|topics|categories|étiquettes|mots-clés|теги|метки|рубрики|по теме"
    r"|популярное|рекомендуем|etiketlər|teqlər|etiketler|թեգեր|առնչվող|თეგები"
)
# Both kinds in one pattern: one match per text (the tree walk tries every element's text).
# A phrase label may run straight into the linked headline when the two are separate elements
# ("Կարդացեք նաևԿապանում …"): a capital right after it ends it as a space would.
_GLUED_HEADLINE = "(?-i:(?=[A-ZÀ-ÞА-ЯЁԱ-ՖĞİŞƏ]))"
_LABEL = re.compile(rf"^\W*(?:(?:{_PHRASE_LABELS})(?:\b|{_GLUED_HEADLINE})|(?:{_WORD_LABELS})\s*(?:[:：՝|»>\-–—]|$))", re.I)


def starts_with_label(text: str) -> bool:
    """Does the text open with a related-articles / tags label?"""
    return _LABEL.match(text) is not None


_WORD = re.compile(r"\w+")


def _words(text: str) -> int:
    return len(_WORD.findall(text))


_SOURCE_LINE = re.compile(
    r"^\W*(?:source link|original (?:article|source)|view original|link to (?:the )?source|источник|первоисточник|source)\W*$", re.I)
_CREDIT_LINE = re.compile(
    r"^\W*(?:photo(?:graph)?s?|images?|pictures?|credits?|illustration|video|фото|фото:|foto|ფოტო|լուսանկար(?:ը)?|şəkil|kaynak)"
    r"\s*(?:by|:|/|©|—|–|-|՝)|"
    r"(?:getty images|shutterstock|ap photo|afp photo|reuters/|epa-efe|photo:|фото:|©)", re.I)
# Calls to action that end articles on every CMS.
_CALL_TO_ACTION = re.compile(
    r"^\W*(?:share (?:this|on|it)|like this (?:story|article|post)|follow us|subscribe (?:to|now)|sign up (?:for|to)"
    r"|click here to|join (?:us|our)|поделиться|подписывайтесь|подпишитесь|подписаться на|partagez|abonnez-vous|suivez-nous|abunə olun|bizi izləyin"
    r"|բաժանորդագրվեք|გამოიწერეთ)\b", re.I)
# The same calls where the verb comes last (az, tr, hy, ka: "… Telegram kanalına abunə olun!"), or
# follows the channel's name: an imperative follow/subscribe verb anywhere in a short line naming a
# channel (imperatives only: "the ministry will follow the Telegram case" is reporting).
# Or it says the channel is the outlet's own, with no verb ("Больше новостей — в нашем телеграм-канале").
_CHANNEL_CALL = re.compile(
    r"(?=.*\b(?:telegram|whatsapp|viber|facebook|instagram|youtube|twitter|tiktok|vk|канал\w*|kanal\w*|channel|"
    r"телеграм\w*|дзен\w*|вконтакте|ալիք\w*|არხ\w*)\b)"
    r"(?:^\W*(?:follow|subscribe|join)\b(?![-‐])|.*(?:\babunə ol(?:un|maq)|\bizləyin|\babone ol(?:un|mayı)|\btakip edin|"
    r"բաժանորդագրվ\w*|հետևեք|გამოიწერეთ|გამოგვყევით|подписывайтесь|подпишитесь|подписаться|присоединяйтесь|следите за"
    r"|читайте (?:нас|наш)|\bнаш\w*\s+(?:\S+\s+)?\S*канал|\bour\s+(?:\S+\s+)?channel|kanalımız\w*|մեր\s+(?:\S+\s+)?ալիք"
    r"|ჩვენს\s+(?:\w+\s+)?არხ\w*))", re.I | re.S)
# Legal and house notices outlets print under every article: reuse only with a link, comments
# moderation, advertising contacts, the editors' disclaimer (a copyright line: ``_RIGHTS_RESERVED``).
_SITE_NOTICE = re.compile(
    r"(?:использование|перепечатка|копирование|цитирование) материалов.{0,80}(?:ссылк|разрешени|согласи)"
    r"|при (?:перепечатке|копировании|цитировании|использовании) (?:материалов|информации).{0,80}(?:ссылк|обязательн)"
    r"|(?:не несёт|не несет) ответственност\w* за .{0,40}(?:комментари|содержани|реклам)"
    r"|по вопросам (?:размещения )?реклам"
    r"|(?:reproduction|republication|use) of (?:this|our|the site's) (?:material|content|article)s?.{0,60}(?:prohibited|permission|link)"
    r"|materialların istifadəsi.{0,60}(?:istinad|keçid)|istinad (?:mütləqdir|vacibdir|edilməlidir)"
    r"|(?:kaynak (?:gösterilmeden|belirtilmeden)|izinsiz|izin alınmadan).{0,80}(?:kullanılamaz|yayınlanamaz|alıntılanamaz|çoğaltılamaz)"
    r"|yorumlarınızı .{0,40}(?:yazabilirsiniz|paylaşabilirsiniz|iletebilirsiniz)"
    r"|may not be (?:reproduced|republished|copied|redistributed).{0,60}(?:without|permission)"
    r"|(?:նյութեր|տեղեկատվ)\w*.{0,80}հղում\w*.{0,40}պարտադիր"
    r"|(?:վերարտադր|արտատպ)\w*.{0,60}(?:թույլատրվում|արգելվում)"
    r"|მასალ\w*.{0,80}(?:მითითებ|ბმულ)\w*.{0,40}სავალდებულო"
    r"|мнение редакции (?:может )?не совпада\w* с мнением автор", re.I | re.S)
def _reaction_counts(text: str) -> bool:
    """Emoji and their counts and nothing else ("👍342🔥51", "❤ 12 · 👁 3.4K"): a post's reactions."""
    return (any(unicodedata.category(ch) == "So" for ch in text) and any(ch.isdigit() for ch in text)
            and all(ch.isdigit() or ch in " .,·|•KkMm" or unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") for ch in text))


# Page furniture that is one kind of line in every language: a view counter ("Baxış sayı: 2417",
# "Просмотров: 1 204", "2,417 views"), a footer link alone on its line, a cookie notice (a cookie
# word and a consent word), a browser notice ("Your browser does not support the video tag").
_VIEW_COUNTER = re.compile(
    # an optional word before the counter's label: "Количество просмотров: 612", "Total views: 9"
    r"^\W*(?:(?:[^\W\d_]+\s+)?(?:views?|reads?|просмотр\w*|прочитан\w*|baxış(?: sayı)?|oxunub|görüntülenme|okunma|դիտում\w*|ნახვ\w*)\s*[:：՝-]?\s*"
    r"[\d\s.,]+[kKmM]?|[\d\s.,]+[kKmM]?\s*(?:views?|reads?|просмотр\w*|baxış|görüntülenme|դիտում\w*|ნახვ\w*))\W*$", re.I)
_FOOTER_LINK = re.compile(
    r"^\W*(?:privacy policy|privacy|terms (?:of (?:use|service))|cookie policy|contact us|about us|advertise(?: with us)?"
    r"|политика конфиденциальности|пользовательское соглашение|контакты|реклама на сайте|gizlilik politikası|künye"
    r"|məxfilik siyasəti|əlaqə|գաղտնիության քաղաքականություն|կոնտակտներ|კონფიდენციალურობის პოლიტიკა|კონტაქტი)\W*$", re.I)
_COOKIE_WORD = re.compile(r"\bcookies?\b|çerez|куки|cookie-файл|թխուկ|ქუქი|kuki", re.I)
# addressed to the reader ("we use", "accept", "by continuing"): a news sentence about cookies is not
_CONSENT_WORD = re.compile(
    r"\b(?:accept(?!ed)|you agree|i agree|we use|by (?:using|continuing)|continue (?:reading|browsing)|cookie settings|manage cookies"
    r"|kullanıyoruz|kabul et|используем|продолжая|принять|согласен|qəbul et|istifadə edirik|ընդունել|օգտագործում ենք"
    r"|ვიყენებთ|tamam\b|ok\b)", re.I)
_BROWSER_NOTICE = re.compile(
    r"(?:enable javascript|javascript is disabled|your browser does not support|browser doesn'?t support|update your browser"
    r"|включите javascript|ваш браузер не поддерживает|tarayıcınız .{0,30}desteklemiyor|brauzeriniz .{0,30}dəstəkləmir)", re.I)


# An ad slot's label left alone on its line when the slot's script did not run.
_AD_LABEL = re.compile(r"^\W*(?:advertisement|advert|ad|ads|sponsored(?: content)?|реклама|reklam|reklama|գովազդ|რეკლამა"
                       r"|anzeige|werbung|publicité)\W*(?:\d+\s*\+)?\W*$", re.I)
# A copyright line alone is kept (annotators of both benchmarks count it as the article's: an AP
# story ends with it); as a sentence of an all-chrome footer paragraph it is chrome.
_RIGHTS_RESERVED = re.compile(r"all rights reserved|все права защищены|bütün hüquqlar qorunur|tüm hakları saklıdır"
                              r"|©\s*(?:19|20)\d\d(?:\s*[–—-]\s*(?:19|20)\d\d)?"  # "© 2008–2026 Site."
                              r"|բոլոր իրավունքները պաշտպանված|ყველა უფლება დაცულია", re.I)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])\s+(?=\W*[^\W\d_])")
# A newsletter pitch, in a short line: "If you enjoyed this article, enter your email below to get free updates!"
_NEWSLETTER_PITCH = re.compile(
    r"\b(?:enter your e-?mail|sign up for (?:our|the|a) (?:free )?(?:daily |weekly )?newsletter|subscribe to (?:our|the) "
    r"(?:free )?(?:daily |weekly )?newsletter|get (?:free|our) (?:e-?mail )?updates|подпишитесь на (?:нашу )?рассылку"
    r"|bülletenimizə abunə|bültenimize abone)", re.I)
# A reader appeal opening a paragraph (independent outlets end articles with one): "Support us!",
# "Поддержите редакцию", "Bizə dəstək olun", "დაგვეხმარეთ!". Longer than a call to action.
_APPEAL = re.compile(
    r"^[\s*•–—-]*(?:support us|make a donation|become a (?:member|patron|supporter)|поддержите (?:нас|редакцию|проект|издание)"
    r"|bizə dəstək ol|bize destek ol|աջակցե՛?ք մեզ|დაგვეხმარეთ|მხარი დაგვიჭირეთ)", re.I)  # not inside quotes: a plea reported
APPEAL_MAX_WORDS = 45
# A share call with the verb last (az, tr, hy, ka, ru): "Xəbəri dostlarınızla paylaşın!", "Поделитесь с друзьями".
_SHARE_CALL = re.compile(r"(?:\bpaylaşın|поделитесь\b.*|կիսվեք|გააზიარეთ)\W*$", re.I)
_SHARE_WORDS = re.compile(
    r"^(?:\d+(?:[.,]\d+)?[kKmM]?|shares?|tweet|pin|e-?mail|print|печать|распечатать|yazdır|çap|տպել|ბეჭდვა|facebook|twitter|x|whatsapp|telegram|linkedin|vk|ok"
    r"|reddit|copy link|comments?|views?|reads?|поделиться|просмотров|просмотры|комментариев|комментарии|partager|vues"
    # the verb "share" as a share bar's label, in the region's languages ("გააზიარე: Facebook")
    r"|paylaş\w*|baxış|baxılıb|դիտում|ნახვა|share|поделись|կիսվել|կիսվեք|გააზიარე\w*|\W+"
    # "copy link", its two words as a share bar splits them
    r"|copy|link|копировать|скопировать|ссылку|kopyala\w*|linki|պատճենել|հղումը|ბმულის|კოპირება)\W?$", re.I)


# Notices outlets print under every article, in the words every outlet uses: the typo-report
# prompt, the statutory "foreign agent" label (its wording is fixed by law, so it is the same on
# every labelled outlet), and the "opinion of the author" disclaimer.
_READER_NOTICE = re.compile(
    r"ctrl\s*\+\s*enter"
    r"|(?:сообщение|материал).{0,60}(?:создан|распространен).{0,120}иностранн\w+\s+(?:средств|агент|лиц)"
    r"|иностранн\w+ агент\w*.{0,80}(?:созда|распростран)"
    r"|(?:мнение|точка зрения) (?:автора|авторов)?.{0,40}(?:может )?не (?:совпада|отража)\w*.{0,60}редакци"
    r"|(?:views|opinions) expressed .{0,80}(?:do not|don't|may not) (?:necessarily )?reflect"
    r"|redaksiyanın mövqeyi ilə üst-üstə düşməy|müəllifin mövqeyi"
    r"|խմբագրության տեսակետ\w* (?:կարող է )?չհամընկնել|ავტორის პოზიცია .{0,60}რედაქცი",
    re.I | re.S)
READER_NOTICE_MAX_WORDS = 60
def _has(low: str, needles: re.Pattern[str]) -> bool:
    return needles.search(low) is not None


def _needles(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, words)))  # one search in C instead of a loop of `in`


# One of these is in every text the notice pattern matches (a necessary condition, ~10x cheaper
# than the pattern's case-insensitive search over every short paragraph): a piece of each branch,
# lower-cased, without the letters re.I folds beyond str.lower() (i/ı, s/ſ, Cyrillic в д о с т ъ).
_NOTICE_NEEDLES = _needles("+", "xpre", "ранн", "акци", "mövqey", "չհամընկնել", "რედაქცი")


def is_reader_notice(text: str) -> bool:
    """A typo prompt, a foreign-agent label or an opinion disclaimer (not the story)."""
    return _words(text) <= READER_NOTICE_MAX_WORDS and _is_notice(text)


def _is_notice(text: str) -> bool:
    return _has(text.lower(), _NOTICE_NEEDLES) and _READER_NOTICE.search(text) is not None


_PHOTO_LABEL = re.compile(r"^\W*(?:photo|фото|foto)\b", re.I)
_SHARE_SEPARATORS = re.compile(r"[\s|·•]+")
# At most 8 parts of at most two words each ("1.5k", "e-mail"): longer lines are no share bar.
_SHARE_MAX_WORDS = 16


def is_boilerplate_paragraph(line: str) -> bool:
    """A paragraph that is chrome on any site: labels, source/credit lines, share counters."""
    text = line.strip().lstrip("-• ").strip()
    return not text or _is_chrome_line(text, _words(text))


# Two or more hashtags and nothing else (separators aside): a tag line, in any script.
_HASHTAG_LINE = re.compile(r"(?:#[^\W_][\w-]*[\s,;·|]*){2,}")


# A page's tool bar: "Версия для печати | Отправить другу | Обсудить на форуме (14)", "Print | E-mail".
_TOOL = re.compile(r"^\W*(?:print|printer|e-?mail|send|save|bookmark|discuss|comment|версия для печати|печат|распечат"
                   r"|отправить|сохранить|обсудить|в закладки|комментир|yazdır|gönder|göndər|çap|տպել|ուղարկել|ბეჭდვა|გაგზავნა)",
                   re.I)
_TOOL_SEPARATORS = re.compile(r"\s[|·•]\s")


def _page_tools(text: str) -> bool:
    parts = [p for p in _TOOL_SEPARATORS.split(text) if p.strip()]
    return len(parts) >= 2 and all(_words(p) <= 5 for p in parts) and sum(bool(_TOOL.match(p)) for p in parts) >= 2


# The footer WordPress SEO plugins append to every item of a site's feed ("The post <title>
# appeared first on <site>."): it ends a feed's full text, which is stored when the page cannot be had.
_FEED_FOOTER = re.compile(r"^The post .+ appeared first on .+$")


def _is_chrome_line(text: str, words: int) -> bool:
    """``is_boilerplate_paragraph`` of a stripped, non-empty line whose word count is known."""
    if _SOURCE_LINE.match(text) or words <= READER_NOTICE_MAX_WORDS and _is_notice(text):
        return True
    if words <= 60 and _FEED_FOOTER.match(text):
        return True
    if words <= 25 and starts_with_label(text):
        return True
    if words <= 12 and (_CREDIT_LINE.search(text) and not text.rstrip().endswith((".", "!", "?"))
                        or _PHOTO_LABEL.match(text)):
        return True
    if words <= 15 and (_CALL_TO_ACTION.match(text) or _CHANNEL_CALL.match(text)):
        return True
    if words <= 8 and _SHARE_CALL.search(text):
        return True
    if words <= 30 and _NEWSLETTER_PITCH.search(text):
        return True
    if words <= APPEAL_MAX_WORDS and _APPEAL.match(text):
        return True
    if words <= 20 and _HASHTAG_LINE.fullmatch(text):
        return True  # "#Армения #экономика #зарплата": the post's tags, set as a paragraph
    if words <= _SHARE_MAX_WORDS:
        parts = _SHARE_SEPARATORS.split(text)
        if len(parts) <= 8 and all(_SHARE_WORDS.match(p) for p in parts if p):
            return True
    if words <= 3 and (_AD_LABEL.match(text) or _reaction_counts(text)):
        return True
    if words <= 16 and _page_tools(text):
        return True
    if words <= 8 and (_VIEW_COUNTER.match(text) or _FOOTER_LINK.match(text)):
        return True
    # the searches below run on most body lines: a substring that every match holds is looked for
    # first (lower-cased; the needles avoid the letters re.I folds beyond str.lower())
    low = text.lower()
    if words <= 40 and (_has(low, _COOKIE_NEEDLES) and _COOKIE_WORD.search(text) and _CONSENT_WORD.search(text)
                        or _has(low, _BROWSER_NEEDLES) and _BROWSER_NOTICE.search(text)):
        return True
    if words <= 40 and _has(low, _SITE_NEEDLES) and _SITE_NOTICE.search(text):
        return True
    return words <= ALL_CHROME_MAX_WORDS and _has(low, _FOOTER_NEEDLES) and _all_chrome(text)


_COOKIE_NEEDLES = _needles("cookie", "çerez", "куки", "թխուկ", "ქუქი", "kuki")
_BROWSER_NEEDLES = _needles("javascript", "browser", "браузер", "tarayıc", "brauzer")
_SITE_NEEDLES = _needles("материал", "ответствен", "реклам", "reproduction", "republication", "use of", "materiallar", "мнение",
                         "istinad", "kullanılamaz", "yayınlanamaz", "alıntılanamaz", "çoğaltılamaz", "yorumlarınızı",
                         "may not be", "պարտադիր", "թույլատրվում", "արգելվում", "სავალდებულო")
# A footer paragraph of notices has a channel call, a reader notice or a house notice in it.
_FOOTER_NEEDLES = _needles("подпис", "telegram", "телеграм", "канал", "kanal", "channel", "subscribe", "follow", "редакци", "материал",
                   "реклам", "rights", "права", "hüquq", "abunə", "izləyin", "abone", "takip", "ctrl", "views expressed",
                   "բաժանորդագր", "გამოიწერ", "mövqe", "խմբագր", "რედაქცი", "newsletter", "рассылк")


ALL_CHROME_MAX_WORDS = 150


def _all_chrome(text: str) -> bool:
    """A footer run into one paragraph: every sentence of it chrome ("Subscribe to our channel …
    The editors' opinion may differ … Reuse only with a link …"). Shared by every page of an
    outlet, it outweighs a one-sentence story when two of them are compared."""
    sentences = _SENTENCE_SPLIT.split(text)
    if len(sentences) < 2:
        return False
    chrome = [_is_chrome_line(sentence, _words(sentence)) for sentence in sentences]
    # copyright sentences alone are a wire story's closing line, which is kept
    return any(chrome) and all(c or _RIGHTS_RESERVED.search(s) for c, s in zip(chrome, sentences))


def _comparable(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


@functools.lru_cache(maxsize=2048)
def _line_facts(para: str) -> tuple[int, bool, str]:
    """(words, chrome, comparable key) of a whitespace-normalised line, each computed once: the two
    opinions on a page return mostly the same paragraphs (46 % of ScrapingHub's lines repeat), and
    a site repeats its chrome lines on every page. Stripping "-• " and spaces keeps the words."""
    words = _words(para)
    stripped = para.lstrip("-• ").strip()
    if not stripped or _is_chrome_line(stripped, words):
        return words, True, ""
    return words, False, _comparable(para) if words >= 2 or len(para) >= 30 else ""


def clean_paragraphs(text: str, known_boilerplate: frozenset[str] = frozenset(),
                     fingerprint: Callable[[str], str] | None = None,
                     titles: Iterable[str] = ()) -> list[str]:
    """Paragraphs of the extracted text without chrome, repeats and known site boilerplate.

    ``titles`` are the page's headline(s): the record has its own title field, so a paragraph
    that only repeats it is dropped, as is a bare date line at the top or bottom of the text.
    """
    kept: list[str] = []
    titles = [" ".join(t.split()) for t in titles if t]
    seen: set[str] = {_comparable(t) for t in titles if _words(t) >= 2}
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = _before_end_mark([line for line in lines if line])
    if lines:
        lines[0] = without_glued_header(lines[0], titles)
    for position, para in enumerate(lines):
        words, chrome, key = _line_facts(para)
        if chrome:
            continue
        # above the text: no paragraph of prose kept yet (a title, a byline, a date line may precede)
        on_top = position < 3 or not any(_words(k) >= 15 for k in kept)
        if (on_top or position >= len(lines) - 2) and is_dateline(para, words):
            continue
        if on_top and is_breadcrumb(para, words):
            continue
        if (on_top or position >= len(lines) - 2) and is_byline(para):
            continue  # the writer's credit above the text or closing it ("Muhabir: …")
        if words >= 2 and key in seen:
            continue
        if len(para) >= 30:
            # the same paragraph twice (a teaser repeated, body repeated in a data blob)
            seen.add(key)
        kept.append(para)
    if known_boilerplate and fingerprint is not None:
        kept = _without_known(kept, known_boilerplate, fingerprint)
    return drop_stamped_runs(_without_pull_quotes(kept))


KNOWN_KEPT_SHARE = 0.3  # of the words: less left means the site's template is this page's text


def _without_known(paragraphs: list[str], known: frozenset[str], fingerprint: Callable[[str], str]) -> list[str]:
    """The paragraphs less those the site prints on many pages (its learnt boilerplate), unless
    that leaves under ``KNOWN_KEPT_SHARE`` of the words: a site's templated items ("{n} families
    will receive housing support", the daily rates) share every paragraph but their figures, which
    the fingerprints leave out, and are all text."""
    left = [p for p in paragraphs if fingerprint(p) not in known]
    total = sum(_words(p) for p in paragraphs)
    return left if total == 0 or sum(_words(p) for p in left) >= KNOWN_KEPT_SHARE * total else paragraphs


# The wire and press-release convention for "the release ends here": what follows is the media
# contacts and an "About us" paragraph, never the text ("###", "# # #", "-30-", "- ENDS -").
_END_MARK = re.compile(r"^(?:#\s?#\s?#|[-–—]\s?30\s?[-–—]|[-–—]\s?ends?\s?[-–—]|ends)$", re.I)
END_MARK_MIN_BEFORE = 2  # paragraphs of text before it: a mark at the top is no end


def _before_end_mark(lines: list[str]) -> list[str]:
    end = next((i for i, line in enumerate(lines) if i >= END_MARK_MIN_BEFORE and _END_MARK.match(line)), None)
    return lines if end is None else lines[:end]


PULL_QUOTE_MIN_WORDS = 8  # shorter lines recur inside paragraphs by chance ("said the minister")


def _without_pull_quotes(paragraphs: list[str]) -> list[str]:
    """Without a paragraph that the paragraph before or after it holds whole: a pull quote set apart
    next to the text that quotes it («…», then «…», — сказал …). Only neighbours: repeated lines far
    apart are a live page's own (measured: dropping those lost more gold text than pull quotes)."""
    keys = [_comparable(p) for p in paragraphs]
    long_enough = [_words(p) >= PULL_QUOTE_MIN_WORDS for p in paragraphs]
    if sum(long_enough) < 2:
        return paragraphs
    return [p for i, p in enumerate(paragraphs)
            if not long_enough[i]
            or not any(0 <= j < len(keys) and len(keys[j]) > len(keys[i]) and keys[i] in keys[j] for j in (i - 1, i + 1))]
