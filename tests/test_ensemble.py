"""The extractor ensemble: readability-lxml's opinion combined with trafilatura's by agreement."""

from __future__ import annotations

from lxml import html as lxml_html

from extractors.ensemble import EDGE_MAX_WORDS, block_texts, combine, readability_paragraphs, supported, _shingle_set

BODY = [
    "The regional parliament approved the budget for next year after a debate that lasted until late at night.",
    "Opposition deputies said the spending on roads was too low, while the government defended its priorities.",
    "The budget now goes to the president, who has fourteen days to sign it or send it back with objections.",
]


def test_short_unsupported_lines_at_the_edges_of_the_body_are_dropped():
    primary = ["Share this story", *BODY, "Most read: Ten things to do in Tbilisi this weekend"]
    kept, how = combine(primary, list(BODY))
    assert kept == BODY and how == "edge-vote"


def test_a_body_paragraph_both_extractors_found_is_kept_however_short():
    primary = ["Yerevan, 3 May.", *BODY]
    kept, _ = combine(primary, ["Yerevan, 3 May.", *BODY])
    assert kept == primary


def test_long_paragraphs_stay_even_when_the_second_extractor_missed_them():
    lead = " ".join(["The lead paragraph carries many words of reporting that readability did not pick up."] * 4)
    assert len(lead.split()) > EDGE_MAX_WORDS
    kept, _ = combine([lead, *BODY], list(BODY))
    assert kept[0] == lead


def test_unsupported_lines_inside_the_body_are_not_the_edge_votes_business():
    primary = [BODY[0], "Advertisement", BODY[1], BODY[2]]
    kept, _ = combine(primary, list(BODY))
    assert kept == primary


def test_second_opinion_wins_when_trafilatura_found_almost_nothing():
    kept, how = combine(["Home", "News", "Contact"], list(BODY))
    assert kept == BODY and how == "second"


def test_without_a_second_opinion_the_primary_body_is_kept_whole():
    primary = ["Share", *BODY, "Most read"]
    assert combine(primary, []) == (primary, "primary")


def test_support_is_measured_on_shingles_not_exact_lines():
    other = _shingle_set("\n".join(BODY))
    assert supported(BODY[0] + " Extra words.", other)
    assert not supported("A sentence that appears nowhere in the other text at all.", other)


def test_block_texts_keeps_one_line_per_block_and_skips_scripts():
    root = lxml_html.fragment_fromstring(
        "<div><h2>Title</h2><p>First <b>bold</b> words.</p><script>var x = 1;</script><ul><li>one</li><li>two</li></ul></div>")
    assert block_texts(root) == ["Title", "First bold words.", "one", "two"]


def test_readability_reads_a_tree_without_changing_it():
    page = ("<html><body><nav><a href='/'>Home</a></nav><div class='story'>"
            + "".join(f"<p>{p}</p>" for p in BODY) + "<p style='display:none'>hidden</p></div></body></html>")
    tree = lxml_html.document_fromstring(page)
    before = lxml_html.tostring(tree)
    paragraphs = readability_paragraphs(tree)
    assert BODY[0] in paragraphs and "hidden" not in paragraphs
    assert lxml_html.tostring(tree) == before


def test_readability_failure_is_an_empty_opinion_not_an_error():
    assert readability_paragraphs("") == []


def test_readability_is_asked_only_when_a_combining_rule_could_fire():
    from extractors.ensemble import needs_second_opinion

    long_paragraph = " ".join(["A long paragraph of reporting with many words in it."] * 6)
    assert not needs_second_opinion([long_paragraph, long_paragraph])  # nothing to vote on
    assert needs_second_opinion(["Share this story", long_paragraph, long_paragraph])  # a short edge line
    assert needs_second_opinion(["Only a few words here."])  # too short: maybe the wrong block
    assert needs_second_opinion([f"Туры в город номер {i} недорого" for i in range(30)])  # a list dump
