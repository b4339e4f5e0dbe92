"""The extractor ensemble: readability-lxml's opinion combined with trafilatura's by agreement."""

from __future__ import annotations

from pathlib import Path

from lxml import html as lxml_html

from extractors.ensemble import EDGE_MAX_WORDS, SHORT_BODY_WORDS, confirmed_by_second, is_dateline_lead, block_texts, combine, readability_paragraphs, supported, _shingle_set

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


def test_readability_given_a_tree_function_reads_that_tree_and_asks_again_for_its_retry():
    page = ("<html><body><nav><a href='/'>Home</a></nav><div class='story'>"
            + "".join(f"<p>{p}</p>" for p in BODY) + "</div></body></html>")
    handed: list = []

    def fresh_tree():
        handed.append(lxml_html.document_fromstring(page))
        return handed[-1]

    assert readability_paragraphs(fresh_tree) == readability_paragraphs(lxml_html.document_fromstring(page))
    assert len(handed) == 1 and handed[0].find(".//body").get("id") == "readabilityBody"  # changed in place
    # too short for readability's strict pass: it parses again, and gets a tree of its own
    short = "<html><body><div><p>Only a line of text here, not much.</p></div></body></html>"
    trees: list = []
    readability_paragraphs(lambda: trees.append(lxml_html.document_fromstring(short)) or trees[-1])
    assert len(trees) == 2 and trees[0] is not trees[1]


def test_readability_failure_is_an_empty_opinion_not_an_error():
    assert readability_paragraphs("") == []


def test_readability_is_asked_only_when_a_combining_rule_could_fire():
    from extractors.ensemble import needs_second_opinion

    long_paragraph = " ".join(["A long paragraph of reporting with many words in it."] * 6)
    assert not needs_second_opinion([long_paragraph, long_paragraph])  # nothing to vote on
    assert needs_second_opinion(["Share this story", long_paragraph, long_paragraph])  # a short edge line
    assert needs_second_opinion(["Only a few words here."])  # too short: maybe the wrong block
    assert needs_second_opinion([f"Туры в город номер {i} недорого" for i in range(30)])  # a list dump


# Failure classes found on the diagnosis half of Dragnet (see docs/choices.md), in the region's words.
SHORT_POST = [  # a body of short paragraphs (a digest post, a list of links with a remark each)
    "В Ереване завершился форум региональных СМИ, на который приехали журналисты из трёх стран.",
    "- Тбилиси: мэрия обещает новые автобусные маршруты к весне — посмотрим.",
    "- Баку: открылся музей ковра после ремонта, вход бесплатный до конца месяца.",
    "- Степанакерт: школам не хватает учителей физики и химии.",
    "- Гюмри: фестиваль кино перенесён на осень из-за ремонта театра.",
]
AUTHOR_BOX = [
    "Об авторе",
    "Анна Петросян пишет о культуре и образовании на Южном Кавказе с 2015 года, ведёт подкаст о книгах, "
    "преподаёт журналистику в Ереванском университете и переводит современную армянскую прозу на русский язык.",
]


def test_when_readability_read_another_block_its_silence_about_the_edges_drops_nothing():
    # readability kept the first paragraph and the author box: most of its text is not in
    # trafilatura's body, so it did not read the same block and cannot vote on its edges
    kept, how = combine(list(SHORT_POST), [SHORT_POST[0], *AUTHOR_BOX])
    assert kept == SHORT_POST and how == "primary"


def test_the_edge_vote_still_runs_when_both_read_the_same_block():
    primary = [*SHORT_POST, "Поделиться в соцсетях: 12 комментариев"]
    kept, how = combine(primary, list(SHORT_POST))
    assert kept == SHORT_POST and how == "edge-vote"


RELATED_TEASERS = [  # "related" list items with a teaser each: too long for the short-line test
    "- Парламент Грузии принял закон о выборах во втором чтении Депутаты обсуждали поправки до поздней ночи, "
    "оппозиция покинула зал заседаний, а спикер пообещал вернуться к спорным статьям осенью - 8 ноября 2021",
    "- Курс драма укрепился к доллару третью неделю подряд Аналитики связывают рост с притоком переводов и "
    "туристов, но предупреждают, что зимой давление на валюту может вернуться - 7 ноября 2021",
]


def test_related_list_items_at_the_end_go_whatever_their_length_when_readability_lacks_them():
    assert all(len(item.split()) > EDGE_MAX_WORDS - 15 for item in RELATED_TEASERS)
    long_items = [item + " " + " ".join(["подробности"] * 20) for item in RELATED_TEASERS]
    assert all(len(item.split()) > EDGE_MAX_WORDS for item in long_items)
    kept, how = combine([*BODY, *long_items], list(BODY))
    assert kept == BODY and how == "edge-vote"


def test_a_long_plain_paragraph_at_the_edge_is_still_kept():
    closing = " ".join(["The closing paragraph of the report carries its own facts and figures."] * 5)
    kept, _ = combine([*BODY, closing], list(BODY))
    assert kept[-1] == closing


def test_readability_wins_when_trafilatura_found_only_a_fragment_of_its_body():
    more = [f"Paragraph {n} of the report continues the story with new facts, quotes and figures from the ministry."
            for n in range(1, 9)]
    body = [*BODY, *(p.replace("budget", "law") for p in BODY)]  # long enough not to be a short body
    assert len(" ".join(body).split()) >= SHORT_BODY_WORDS
    kept, how = combine(body, [*body, *more])
    assert kept == [*body, *more] and how == "second"


def test_a_longer_readability_body_that_does_not_hold_trafilaturas_is_no_fragment_case():
    other = [f"Sidebar item {n}: a different story about sports results and the weather this weekend in town."
             for n in range(1, 9)]
    body = [*BODY, *(p.replace("budget", "law") for p in BODY)]  # long enough not to be a short body
    kept, _ = combine(body, [body[0], *other])
    assert kept == body


DATA = Path(__file__).parent / "data" / "ensemble"


def test_a_short_note_both_extractors_agree_on_gets_no_sidebar_from_the_unpruned_last_try():
    from extractors.html import extract_html

    text = extract_html((DATA / "short_note_ru.html").read_bytes()).text
    assert text.startswith("Мы наконец выпустили первый номер")
    assert "Подписка" not in text and "печатный журнал" not in text


def test_confirmation_needs_every_paragraph_in_readabilitys_text():
    assert confirmed_by_second(BODY[:2], list(BODY))
    assert not confirmed_by_second([*BODY[:2], "Подписка от 2900 драмов в год"], list(BODY))
    assert not confirmed_by_second(BODY[:2], [])


def test_a_lead_opening_with_a_wire_dateline_survives_the_edge_vote():
    lead = ("ЕРЕВАН, 3 мая — Sputnik. Правительство Армении одобрило проект бюджета на следующий год, "
            "сообщили в пресс-службе кабинета министров после заседания.")
    kept, _ = combine(["Поделиться", lead, *BODY], list(BODY))
    assert kept == [lead, *BODY]
    kept, _ = combine(["WASHINGTON (AP) — The Senate passed the spending bill late on Tuesday after a week of talks "
                       "between the two parties.", *BODY], list(BODY))
    assert kept[0].startswith("WASHINGTON (AP)")


def test_a_short_name_and_place_line_is_no_dateline_lead():
    assert not is_dateline_lead("Francois Brassard, Quebec (Ottawa)")
    assert not is_dateline_lead("Post Comments (Atom)")


def test_a_related_list_with_long_teasers_after_an_armenian_news_story_is_not_in_the_text():
    from extractors.html import extract_html

    text = extract_html((DATA / "related_teasers_ru.html").read_bytes()).text
    assert text.startswith("После трёх лет реконструкции в Гюмри")
    assert text.rstrip().endswith("Ванадзор и Тбилиси.")
    assert "Курс армянского драма" not in text and "фестиваль кино" not in text


def test_paragraph_shingles_are_the_joined_texts_and_each_short_lines():
    from extractors.ensemble import _joined_shingles, _paragraph_shingles

    paragraphs = ["Straße ΟΔΟΣ Σ end, words here", "", "two words", "ﬁne ligature İstanbul ǅ last line of four",
                  "one", "- list item with many words in it", "Ⅻ ¹ ½ digits 1 2"]
    for cut in range(len(paragraphs) + 1):
        part = paragraphs[:cut]
        joined = _shingle_set("\n".join(part))
        assert _joined_shingles(tuple(part)) == joined
        assert _paragraph_shingles(part) == joined.union(*(_shingle_set(p) for p in part))


def test_the_items_of_a_list_our_sentence_introduces_are_taken_from_readability_when_we_lost_them():
    intro = "As part of the programme, households and small firms will benefit from:"
    items = ["A subsidy on natural gas bills for December to February", "Electricity bills capped at last winter's level",
             "Deferred property tax payments for small businesses"]
    more = "Families in the social assistance database and firms with a small turnover qualify automatically, the ministry said."
    primary = [BODY[0], intro, BODY[1], BODY[2], more]  # long enough to be trafilatura's body, not a failure
    kept, _ = combine(primary, [BODY[0], intro, *items, BODY[1], BODY[2], more])
    assert kept == [BODY[0], intro, *("- " + item for item in items), BODY[1], BODY[2], more]


def test_a_widgets_label_ending_in_a_colon_introduces_nothing():
    primary = [*BODY, "Like this:"]
    kept, _ = combine(primary, [*BODY, "Like this:", "Like", "One blogger likes this."])
    assert "- Like" not in kept and "- One blogger likes this." not in kept
