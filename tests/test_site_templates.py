"""Site templates learned from structure: a block that recurs on a site's pages, whatever its text.

Fixtures: four pages of a Georgian regional outlet whose article container ends with a grid of
recommended teasers (different ones on every page, each written as a sentence, no links in the
text: the items are clickable boxes), and four pages of an Armenian outlet with a time-stamped
news feed. Written as sentences, the teasers look like the body's own paragraphs to every rule
that reads one page; only the site's other pages show that the block is template.
"""

from __future__ import annotations

from pathlib import Path

from extractors.article import extract_document
from extractors.boilerplate import SiteMemory
from extractors.html import _parse
from extractors.templates import block_path, drop_template_paragraphs, split_known

DATA = Path(__file__).parent / "data" / "site_templates"
KA_PAGES = [DATA / f"regional_ka_page_{n}.html" for n in range(1, 5)]
HY_PAGES = [DATA / f"marz_page_{n}.html" for n in range(1, 5)]


def _learn(pages: list[Path]) -> SiteMemory:
    memory = SiteMemory()
    for page in pages:
        article = extract_document(page.read_bytes(), known_boilerplate=memory.boilerplate())
        memory.observe(page.name, article.text.split("\n"), article.site_blocks)
    return memory


def _recommended(page: Path) -> list[str]:
    tree = _parse(page.read_text(encoding="utf-8"))
    return [p.text_content() for p in tree.iter("p") if p.get("class") == "rec-title"]


def test_a_rotating_headline_grid_learned_from_other_pages_is_dropped_on_reprocess():
    page = KA_PAGES[0]
    without = extract_document(page.read_bytes())
    assert any(h in without.text for h in _recommended(page))  # the single-page rules miss it here
    memory = _learn(KA_PAGES[1:])
    assert memory.template_paths()
    article = extract_document(page.read_bytes(), known_boilerplate=memory.boilerplate())
    assert not any(h in article.text for h in _recommended(page))
    assert "მეწარმეები შიშობენ" in article.text  # the body stays whole
    assert article.text.count("\n") == 2


def test_no_page_of_the_site_shares_the_grid_text_only_its_structure():
    texts = [set(_recommended(p)) for p in KA_PAGES]
    assert all(not (a & b) for i, a in enumerate(texts) for b in texts[i + 1:])


def test_two_pages_are_not_enough_to_call_a_block_template():
    memory = _learn(KA_PAGES[:2])
    assert not memory.template_paths()


def test_the_body_path_is_never_template_however_often_it_recurs():
    memory = _learn(KA_PAGES)
    for page in KA_PAGES:
        article = extract_document(page.read_bytes(), known_boilerplate=memory.boilerplate())
        assert len(article.text.split("\n")) == 3


def test_time_stamped_news_feed_after_the_body_is_dropped_even_on_a_sites_first_page():
    article = extract_document(HY_PAGES[0].read_bytes())
    assert "01.11.21" not in article.text
    assert "Բրյուսել" not in article.text  # a ticker headline full of place names
    assert article.text.startswith("Կառավարության այսօրվա նիստում")


def test_paths_ignore_ids_and_numbers_but_keep_tags_and_classes():
    tree = _parse('<html><body><div class="item item-12" id="post-1"><p>a</p></div>'
                  '<div class="item item-7" id="post-2"><p>b</p></div><div class="other"><p>c</p></div></body></html>')
    first, second, other = [block_path(p) for p in tree.iter("p")]
    assert first == second != other


def test_template_paragraphs_inside_the_body_span_are_kept():
    paragraphs = ["Intro paragraph", "Subheading", "Second paragraph", "Headline one", "Headline two"]
    paths = ["body", "sub", "body", "tpl", "tpl"]
    kept = drop_template_paragraphs(paragraphs, paths, frozenset({"sub", "tpl"}), "body")
    assert kept == ["Intro paragraph", "Subheading", "Second paragraph"]


def test_a_drop_that_would_empty_the_body_is_refused():
    paragraphs = ["short body", *[f"template line number {i} with several words in it" for i in range(6)]]
    paths = ["body"] + ["tpl"] * 6
    assert drop_template_paragraphs(paragraphs, paths, frozenset({"tpl"}), "body") == paragraphs


def test_site_memory_round_trips_paths_and_stays_bounded():
    memory = SiteMemory(max_paths=50)
    for doc in range(30):
        memory.observe(f"d{doc}", [f"paragraph {doc}"], [(f"p{doc}-{i}", 0, 1) for i in range(5)] + [("shared", 0, 1)])
    assert len(memory.paths) <= 50
    assert "shared" in memory.template_paths()
    again = SiteMemory.from_dict(memory.to_dict())
    assert again.paths == memory.paths and again.boilerplate() == memory.boilerplate()
    fingerprints, paths = split_known(memory.boilerplate())
    assert paths == memory.template_paths() and not any(f.startswith("path:") for f in fingerprints)


def test_old_site_memory_without_paths_still_loads():
    old = {"min_docs": 3, "seq": 1, "docs": ["a"], "fingerprints": {"abc": [3, 1]}}
    assert SiteMemory.from_dict(old).boilerplate() == frozenset({"abc"})


def test_the_run_context_stores_learnt_template_paths_and_reprocess_reads_them(tmp_path):
    """Persistence through the store's site memory (the poll's learn_site, reprocess's look-up)."""
    from datetime import datetime, timezone

    from config.settings import Settings
    from flows.context import RunContext
    from flows.reprocess import site_boilerplate
    from storage.local import LocalStore

    store = LocalStore(tmp_path)
    ctx = RunContext(run_id="t", settings=Settings(), store=store, now=datetime.now(timezone.utc))
    documents = []
    for page in KA_PAGES[1:]:
        article = extract_document(page.read_bytes())
        documents.append((page.name, article.text.split("\n"), article.site_blocks))
    ctx.learn_site("news.example.ge", documents)
    known = ctx.site_boilerplate("news.example.ge")
    assert any(k.startswith("path:") for k in known)
    assert site_boilerplate(store, "news.example.ge", {}) == known
    article = extract_document(KA_PAGES[0].read_bytes(), known_boilerplate=known)
    assert not any(h in article.text for h in _recommended(KA_PAGES[0]))
