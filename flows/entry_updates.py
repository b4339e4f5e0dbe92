"""Items the site republished since the feed's last poll: a corrected headline, a developing story.

A feed's item keeps its link when the site updates the story ("magnitude 4.1" becomes "4.3, two
injured") and dates it anew. The seen index would skip the link for good, and the record, the
digest and every copy would keep the first headline. An item already stored whose date is after
the feed's previous successful poll (and not ahead of now) is fetched again and refreshed as
``--force`` refreshes it: same identity and first-seen day, the page's new text and title (a page
that lost most of its text keeps the stored copy, ``flows.batch``).

A feed that dates every item with its build time says nothing about updates: when more than a few
of its known items look republished at once, none is taken for one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from extractors.records import FeedEntry
from storage import layout

UPDATED_MAX_ITEMS = 5  # more republished at once: the feed stamps its build time on every item
UPDATED_MAX_SHARE = 0.5
# Dated this long after the previous poll at least: an item published while that poll ran, or a
# site clock a few minutes ahead of ours, is no update
UPDATED_MARGIN = timedelta(minutes=10)


def republished(known: list[FeedEntry], listed: int, previous_ok: str | None, now: datetime) -> list[FeedEntry]:
    """The ``known`` items (already stored) dated after the feed's previous successful poll."""
    if not previous_ok or not known:
        return []
    since = layout.as_utc(previous_ok) + UPDATED_MARGIN
    found = [entry for entry in known if entry.published is not None and since < entry.published <= now]
    if len(found) > UPDATED_MAX_ITEMS or len(found) > UPDATED_MAX_SHARE * listed:
        return []
    return found
