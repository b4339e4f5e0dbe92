"""Whose article a page is: its canonical address, unless another article already stands there.

A page names its article's address (``rel=canonical``, og:url), and a redirect, an AMP copy or a
tracking link reach one article that way. A misconfigured CMS names one address on every page
(its section page "/news/", the first article it published): five different articles then all
claimed one identity, the first was stored and the other four were counted as "links to articles
already stored" and lost. Before a page is taken for an article already stored or claimed under
its canonical address, its text is compared with that article's: another text keeps the page's
own address as its identity (the record is stored under it, and ``reprocess`` keeps it).
"""

from __future__ import annotations

from dataclasses import replace

from extractors.errors import NewswatchError
from extractors.fingerprint import compare_texts
from extractors.records import ArticleRecord
from extractors.urls import normalise_url
from storage import layout

SAME_ARTICLE_SIMILARITY = 0.5  # shingle similarity of two readings of one article (an AMP copy, an update)


def same_article(text: str, other: str | None) -> bool:
    """Is ``text`` a reading of the article ``other`` is (None: unknown, taken as the same)?"""
    if other is None or not text or not other:
        return True
    found = compare_texts(text, other)
    return found.duplicate or found.similarity >= SAME_ARTICLE_SIMILARITY


def on_its_own_address(record: ArticleRecord, final_url: str) -> ArticleRecord:
    """The record under the page's own (final) address instead of the canonical one it named."""
    own = normalise_url(final_url) or final_url
    return replace(record, id=layout.url_key(own), canonical_url=own)


def resolve_identity(ctx, record: ArticleRecord, link_key: str, final_url: str) -> ArticleRecord:
    """The record, under its own address when its canonical one holds another article already
    (stored by an earlier run, or claimed by an entry of this run: ``ctx.claimed_texts``)."""
    if record.id == link_key or not record.text:
        return record
    if record.id in ctx.claimed_texts:
        other = ctx.claimed_texts[record.id]
    else:
        day = ctx.seen.first_seen_day(record.id)
        other = _stored_text(ctx, record.id, day) if day else None
    return record if same_article(record.text, other) else on_its_own_address(record, final_url)


def _stored_text(ctx, article_id: str, day: str) -> str | None:
    try:
        return ctx.articles.get_article(layout.article_key(article_id, day)).text
    except NewswatchError:  # gone or unreadable: the seen index's word stands
        return None
