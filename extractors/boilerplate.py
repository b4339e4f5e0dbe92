"""Per-site boilerplate memory: a block recurring on many pages of one site is boilerplate.

Menus, "about us" blurbs, subscribe prompts and comment-form lines differ from site to
site, so no list of phrases can know them all; but a site repeats its own on every page.
The pipeline keeps one ``SiteMemory`` per host in the store, feeds it the paragraphs of
each page it extracts (``observe``), and hands ``boilerplate()`` to the HTML and text
extractors, which drop paragraphs whose fingerprint is in that set.

It also keeps the site's *template paths* (``extractors.templates``): for each DOM path of a text
block, on how many pages it occurred, on how many it was the main body path, and on how many
its blocks were chrome-like (short or link text). A path seen on ``min_docs`` pages, never the
body's and chrome-like on nearly all, is a template block whatever its text (a rotating
headline list); it is handed out as ``"path:<hash>"`` in the same set as the fingerprints.

Pure: no storage, no clock. ``to_dict``/``from_dict`` give a compact JSON form.

Why ``min_docs = 3``: two pages sharing a paragraph are often one story twice (an update,
the same article under two URLs, a two-part series with a shared intro), and stripping a
real paragraph is worse than keeping a menu line. Three distinct pages sharing the same
block is strong evidence of a template, yet it is reached after the third page of a new
host, which matters for the small Caucasus sites that publish a few articles a day.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

_DIGITS = re.compile(r"\d+")
_NON_WORD = re.compile(r"[^\w#]+")


def _normalise(paragraph: str) -> str:
    # Case, digits and spacing vary between pages for the same template line
    # ("Share6Tweet4" / "Share12Tweet7", "© 2021" / "© 2022"), so they are folded away.
    text = unicodedata.normalize("NFKC", paragraph).casefold()
    text = _DIGITS.sub("#", text)
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.split())


def paragraph_fingerprint(paragraph: str) -> str:
    """A short hash of the paragraph with case, digits, punctuation and spacing normalised.

    Returns "" for a paragraph with no letters or digits (nothing worth remembering).
    """
    norm = _normalise(paragraph)
    if not norm.strip("# "):
        return ""
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class SiteMemory:
    """How many distinct documents of one site each paragraph fingerprint was seen in.

    Bounded: it remembers the ids of the last ``max_docs`` documents (for idempotence)
    and at most ``max_fingerprints`` fingerprints. A fingerprint not seen during the last
    ``horizon`` documents is forgotten (a redesigned site's old template decays away),
    and when the table is full the rarest, least recently seen fingerprints go first.
    """

    min_docs: int = 3
    max_docs: int = 200
    max_fingerprints: int = 4000
    horizon: int = 400
    seq: int = 0  # documents observed so far (a logical clock for decay)
    docs: list[str] = field(default_factory=list)  # recent doc ids, oldest first
    counts: dict[str, int] = field(default_factory=dict)  # fingerprint -> distinct docs
    last_seen: dict[str, int] = field(default_factory=dict)  # fingerprint -> seq
    max_paths: int = 1500
    # block path -> [pages, pages where it was the main body path, pages where chrome-like, last seq]
    paths: dict[str, list[int]] = field(default_factory=dict)

    def observe(self, doc_id: str, paragraphs: list[str], blocks=()) -> None:
        """Count each distinct paragraph of one document once; a repeated doc_id is ignored.

        ``blocks`` are the page's (path, is main, chrome-like) triples (``ExtractedArticle.site_blocks``).
        """
        self.observe_fingerprints(doc_id, {paragraph_fingerprint(p) for p in paragraphs} - {""}, blocks)

    def observe_fingerprints(self, doc_id: str, fingerprints, blocks=()) -> None:
        """``observe`` given the document's distinct paragraph fingerprints (what the store keeps
        of a batch: storage.site_memory replays them)."""
        if doc_id in self.docs:
            return
        self._observe_blocks(blocks)
        self.seq += 1
        self.docs.append(doc_id)
        if len(self.docs) > self.max_docs:
            del self.docs[: len(self.docs) - self.max_docs]
        for fp in fingerprints:
            self.counts[fp] = self.counts.get(fp, 0) + 1
            self.last_seen[fp] = self.seq
        self._prune()

    def _observe_blocks(self, blocks) -> None:
        for path, main, chrome in {(str(b[0]), int(b[1]), int(b[2])) for b in blocks}:
            counts = self.paths.setdefault(path, [0, 0, 0, 0])
            counts[0] += 1
            counts[1] += main
            counts[2] += chrome
            counts[3] = self.seq + 1
        stale = [p for p, c in self.paths.items() if self.seq + 1 - c[3] >= self.horizon]
        for path in stale:
            del self.paths[path]
        excess = len(self.paths) - self.max_paths
        if excess > 0:
            for path in sorted(self.paths, key=lambda p: (self.paths[p][0], self.paths[p][3]))[:excess]:
                del self.paths[path]

    def template_paths(self) -> frozenset[str]:
        """Paths on ``min_docs`` pages or more, (nearly) never the body's, chrome-like on 80 % of them."""
        return frozenset(p for p, (n, main, chrome, _) in self.paths.items()
                         if n >= self.min_docs and main <= 0.1 * n and chrome >= 0.8 * n)

    def _prune(self) -> None:
        stale = [fp for fp, seen in self.last_seen.items() if self.seq - seen >= self.horizon]
        for fp in stale:
            self._forget(fp)
        excess = len(self.counts) - self.max_fingerprints
        if excess > 0:
            # Singletons seen long ago are the cheapest to lose: they are most likely
            # body paragraphs, which never become boilerplate anyway.
            order = sorted(self.counts, key=lambda fp: (self.counts[fp], self.last_seen[fp]))
            for fp in order[:excess]:
                self._forget(fp)

    def _forget(self, fp: str) -> None:
        self.counts.pop(fp, None)
        self.last_seen.pop(fp, None)

    def boilerplate(self) -> frozenset[str]:
        """Fingerprints seen in at least ``min_docs`` distinct documents, and template paths."""
        paths = frozenset(f"path:{p}" for p in self.template_paths())
        return frozenset(fp for fp, n in self.counts.items() if n >= self.min_docs) | paths

    def to_dict(self) -> dict[str, Any]:
        # Only fingerprints seen twice or more are worth much; singletons are kept too so
        # that a template line reaches min_docs, but the JSON stays a flat, small object.
        return {
            "min_docs": self.min_docs,
            "max_docs": self.max_docs,
            "max_fingerprints": self.max_fingerprints,
            "horizon": self.horizon,
            "seq": self.seq,
            "docs": list(self.docs),
            "fingerprints": {fp: [self.counts[fp], self.last_seen[fp]] for fp in self.counts},
            "max_paths": self.max_paths,
            "paths": {p: list(c) for p, c in self.paths.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SiteMemory":
        memory = cls(
            min_docs=int(d.get("min_docs", 3)),
            max_docs=int(d.get("max_docs", 200)),
            max_fingerprints=int(d.get("max_fingerprints", 4000)),
            horizon=int(d.get("horizon", 400)),
            seq=int(d.get("seq", 0)),
            docs=[str(x) for x in d.get("docs", [])],
            max_paths=int(d.get("max_paths", 1500)),
        )
        for path, counts in d.get("paths", {}).items():
            memory.paths[str(path)] = [int(x) for x in counts][:4]
        for fp, (count, seen) in d.get("fingerprints", {}).items():
            memory.counts[fp] = int(count)
            memory.last_seen[fp] = int(seen)
        return memory


def strip_boilerplate(paragraphs: list[str], known: frozenset[str]) -> list[str]:
    """Drop the paragraphs whose fingerprint is known boilerplate.

    When that would remove nearly everything, the page is a copy of one already seen
    (the same article at a second URL), not a template: it is returned whole and left to
    the deduplicator, rather than emptied.
    """
    if not known:
        return list(paragraphs)
    kept = [p for p in paragraphs if paragraph_fingerprint(p) not in known]
    total = sum(len(p) for p in paragraphs)
    if total >= 500 and sum(len(p) for p in kept) < 0.2 * total:
        return list(paragraphs)
    return kept


# ---------------------------------------------------------------- chrome in any site's words
# What page chrome says, in the languages of the region and of the press that covers it.
# These are generic widget labels (every CMS has a "read also" box and a share row), not
# lines of any particular site; a site's own wording is learnt by ``SiteMemory``.

def _alternatives(*phrases: str) -> str:
    return "|".join(phrases)


SEE_ALSO = re.compile(r"^\W*(?:" + _alternatives(
    r"read (?:also|more)", r"also read", r"see also", r"related(?: posts| articles| news| stories)?",
    r"more (?:on this|news|stories)", r"recommended", r"most read", r"latest news", r"new articles",
    r"читайте (?:также|еще|ещё)", r"смотрите также", r"по теме", r"ещё по теме", r"еще по теме",
    r"похожие (?:новости|материалы|статьи)", r"другие новости", r"самое читаемое",
    r"(?:à )?lire aussi", r"voir aussi", r"sur le même sujet", r"à lire également", r"dans la même rubrique",
    r"lesen sie auch", r"mehr zum thema", r"auch interessant", r"siehe auch", r"das könnte sie auch interessieren",
    r"ilgili haberler", r"ayrıca okuyun", r"bunlar da ilginizi", r"benzer haberler", r"diğer haberler",
    r"oxşar xəbərlər", r"həmçinin oxuyun", r"digər xəbərlər", r"bu mövzuda", r"son xəbərlər",
    r"կարդացեք նաև", r"նմանատիպ", r"այլ նորություններ", r"թեմայով",
    r"ასევე წაიკითხეთ", r"მსგავსი სიახლეები", r"სხვა სიახლეები", r"ამავე თემაზე",
) + r")\b\W*", re.I)

SHARE_WORDS = frozenset(
    "share shares tweet send pin email e-mail mail print copy link facebook twitter x telegram whatsapp viber "
    "linkedin reddit vk vkontakte ok messenger pinterest tumblr flipboard skype line instagram youtube threads "
    "вконтакте одноклассники поделиться отправить печать распечатать твитнуть "
    "partager imprimer envoyer teilen twittern drucken senden teile "
    "paylaş yazdır gönder tweetle paylas çap et göndər "
    "կիսվել տպել ուղարկել გაზიარება ბეჭდვა გაგზავნა".split())

COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|" + _alternatives(
    r"all rights reserved", r"все права защищены", r"tous droits réservés", r"alle rechte vorbehalten",
    r"tüm hakları saklıdır", r"bütün hüquqlar qorunur", r"բոլոր իրավունքները պաշտպանված",
    r"ყველა უფლება დაცულია"), re.I)

CTA = re.compile(_alternatives(
    r"\bsubscribe\b", r"\bunsubscribe\b", r"newsletter", r"\bfollow us\b", r"\bjoin us on\b",
    r"подпис(?:ывайтесь|ывайся|аться|ка на)", r"подпишитесь", r"отписаться", r"рассылк",
    r"abonnez", r"s'abonner", r"réservés? aux abonnés", r"inscrivez-vous",
    r"abonnieren", r"jetzt anmelden", r"folgen sie uns", r"abone ol", r"bizi takip edin",
    r"abunə ol", r"bizi izləyin", r"բաժանորդագրվ", r"հետևեք մեզ", r"გამოიწერ", r"გამოგვყევით"), re.I)

# Consent banners say "cookie" in nearly every language; Turkish and Azerbaijani say "çerez".
COOKIES = re.compile(r"\bcookies?\b|\bçerez|\bкуки\b|\bcookie-", re.I)

COMMENT_LINE = re.compile(r"^\W*(?:\d+\s+)?(?:" + _alternatives(
    r"comments?", r"leave a (?:reply|comment)", r"add a comment", r"log in to (?:reply|comment)", r"reply",
    r"комментари\w*", r"оставить комментарий", r"commentaires?", r"laisser un commentaire", r"réagir",
    r"kommentare?", r"kommentieren", r"yorum(?:lar| yap)?", r"şərh(?:lər)?", r"rəy bildir",
    r"մեկնաբանություն\w*", r"კომენტარ\w*") + r")\b", re.I)

# "jdoe says:" heads each comment on WordPress-like sites.
COMMENT_HEADER = re.compile(r"^\S+(?:\s\S+){0,2}\s(?:says|said|wrote|пишет|написал\w*|dit|écrit|schreibt|"
                            r"yazdı|diyor|yazıb|գրում է|წერს)\s*:$", re.I)

TAGS_LABEL = re.compile(r"^\W*(?:" + _alternatives(
    r"tags?", r"keywords", r"теги", r"метки", r"ключевые слова", r"étiquettes", r"mots-clés",
    r"schlagwörter", r"stichwörter", r"etiketler", r"anahtar kelimeler", r"teqlər", r"etiketlər",
    r"պիտակներ", r"թեգեր", r"თეგები", r"ტეგები") + r")\s*[:：]", re.I)

CAPTION_PREFIX = re.compile(r"^\W*(?:" + _alternatives(
    r"photos?", r"photo credit", r"pictured", r"image", r"illustration", r"credit", r"фото\w*",
    r"иллюстрация", r"foto\w*", r"bild", r"görsel", r"şəkil", r"լուսանկար\w*", r"ֆոտո", r"ფოტო\w*") +
    r")\s*(?:[:：|—–-]|by\b)", re.I)

AD_WORDS = frozenset(
    "offer offers sale sales discount discounts buy shop deal deals promo promotion sponsored advertisement "
    "advertising advert ad ads coupon реклама скидка скидки акция купить publicité offre offres promo soldes "
    "acheter anzeige werbung angebot angebote rabatt kaufen reklam indirim kampanya endirim kampaniya "
    "գովազդ զեղչ რეკლამა ფასდაკლება".split())
