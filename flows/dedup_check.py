"""A near-duplicate the index suspects, confirmed on the two texts before an article is hidden.

The index keeps a 16-bin sketch per document, not its text: equal bins estimate the shingle
Jaccard, and on short wire items (40 shingles) the estimate is noisy (two earthquake reports in
the same words, different towns: 9 of 16 bins, Jaccard 0.38). It also cannot see that a recurring
template ("Exchange rates on 4 December") differs from yesterday's in every figure. So a near
(not exact) duplicate is checked the way `newswatch compare` checks a pair
(``extractors.fingerprint.copy_of``): the original's text comes from the same batch or from its
stored record (one read per suspected copy; an exact copy needs none). When the original cannot
be read, the index's estimate stands. A rejected copy keeps the index's story cluster: sharing
most of their wording, the two are at least one running story.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from extractors.errors import StoreError
from extractors.fingerprint import copy_of
from storage import layout

log = logging.getLogger(__name__)


def confirmed(decision, text: str, texts_here: dict[str, str], articles) -> object:
    """``decision`` with its near duplicate confirmed on the texts, or withdrawn."""
    if not decision.duplicate_of or decision.exact:
        return decision
    original = texts_here.get(decision.duplicate_of)
    if original is None:
        original = _stored_text(articles, decision)
        if original is None:
            return decision
    is_copy, similarity = copy_of(original, text)
    if is_copy:
        return decision
    log.debug("not a copy of %s after all (shingle Jaccard %.2f, or other figures)", decision.duplicate_of, similarity)
    return replace(decision, duplicate_of=None, similarity=round(similarity, 4), duplicate_day=None)


def _stored_text(articles, decision) -> str | None:
    original = decision.duplicate_of
    if original.startswith("seed-"):
        key = layout.seed_key(original)
    elif decision.duplicate_day is not None:
        key = layout.article_key(original, decision.duplicate_day.isoformat())
    else:
        return None
    try:
        return articles.get_article(key).text
    except StoreError:  # gone or damaged: nothing to check against
        return None
