"""Per-site boilerplate memory: a paragraph recurring on several pages of one site."""

from __future__ import annotations

import json
from pathlib import Path

from extractors.boilerplate import SiteMemory, paragraph_fingerprint, strip_boilerplate
from extractors.text import clean_text, split_paragraphs

DATA = Path(__file__).resolve().parent / "data"
SEED_004 = Path(__file__).resolve().parents[1] / "config" / "seeds" / "004_6d5d41b893ce7abd.txt"
FOOTER = "Aze.Media offers an independent and strategic insight on socio-cultural, political and economic life"


def _site_pages() -> list[list[str]]:
    """Three pages of one site: different bodies, the same template around them."""
    template = [p for p in split_paragraphs(SEED_004.read_text(encoding="utf-8")) if p.startswith(FOOTER)]
    bodies = [split_paragraphs((DATA / "text" / f"{name}.txt").read_text(encoding="utf-8"))
              for name in ("en_subheadings_all_body", "en_hard_wrapped_72", "en_split_link_comments")]
    return [body + template for body in bodies]


def test_fingerprint_ignores_case_digits_and_spacing():
    assert paragraph_fingerprint("© 2021  Aze Media. ") == paragraph_fingerprint("© 2022 aze media.")
    assert paragraph_fingerprint("Share6Tweet4SendShare") == paragraph_fingerprint("Share12Tweet7SendShare")
    assert paragraph_fingerprint("Armenia") != paragraph_fingerprint("Azerbaijan")
    assert len(paragraph_fingerprint("Armenia")) == 16


def test_fingerprint_of_a_paragraph_without_words_is_empty():
    assert paragraph_fingerprint(" 134221 ") == "" and paragraph_fingerprint("— · —") == ""


def test_paragraph_becomes_boilerplate_on_the_third_distinct_document():
    memory = SiteMemory()
    pages = _site_pages()
    footer = paragraph_fingerprint(pages[0][-1])
    memory.observe("a", pages[0])
    memory.observe("b", pages[1])
    assert footer not in memory.boilerplate()
    memory.observe("c", pages[2])
    assert footer in memory.boilerplate()
    assert paragraph_fingerprint(pages[0][0]) not in memory.boilerplate()  # a body paragraph seen once


def test_observing_the_same_document_again_counts_once():
    memory = SiteMemory()
    page = _site_pages()[0]
    for _ in range(5):
        memory.observe("same-doc", page)
    assert memory.boilerplate() == frozenset()


def test_memory_round_trips_through_json():
    memory = SiteMemory()
    for doc_id, page in zip("abc", _site_pages()):
        memory.observe(doc_id, page)
    copy = SiteMemory.from_dict(json.loads(json.dumps(memory.to_dict())))
    assert copy.boilerplate() == memory.boilerplate() and copy.docs == memory.docs
    copy.observe("a", _site_pages()[0])
    assert copy.to_dict() == memory.to_dict()


def test_memory_stays_bounded_and_forgets_an_old_template():
    memory = SiteMemory(max_docs=20, max_fingerprints=50, horizon=30)
    for n in range(3):
        memory.observe(f"old-{n}", ["Old template line that the site later removed"])
    old = paragraph_fingerprint("Old template line that the site later removed")
    assert old in memory.boilerplate()
    for n in range(100):
        memory.observe(f"doc-{n}", [f"Body paragraph number {chr(65 + n % 26)}{chr(65 + n // 26)} of a story"])
    assert len(memory.docs) == 20 and len(memory.counts) <= 50
    assert old not in memory.boilerplate()


def test_strip_boilerplate_drops_known_paragraphs_only():
    paragraphs = ["A body paragraph about the border talks in Brussels.", "Subscribe to our newsletter"]
    known = frozenset({paragraph_fingerprint("subscribe to our NEWSLETTER")})
    assert strip_boilerplate(paragraphs, known) == paragraphs[:1]
    assert strip_boilerplate(paragraphs, frozenset()) == paragraphs


def test_strip_boilerplate_keeps_a_page_that_is_all_known_text():
    # A page whose every paragraph is "known" is a copy of a page already seen, not a template.
    page = _site_pages()[0]
    known = frozenset(paragraph_fingerprint(p) for p in page)
    assert strip_boilerplate(page, known) == page


def test_learnt_site_footer_is_dropped_by_the_text_cleaner():
    memory = SiteMemory()
    pages = _site_pages()
    for doc_id, page in zip("abc", pages):
        memory.observe(doc_id, page)
    # The footer glued right after the body would otherwise read as one more paragraph.
    raw = "\n\n".join(pages[0])
    assert FOOTER in clean_text(raw).text
    assert FOOTER not in clean_text(raw, known_boilerplate=memory.boilerplate()).text
