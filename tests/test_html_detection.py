"""HTML is recognised by its structure, whatever junk precedes it (issue 11, failure class 1).

Each fixture is a page whose first bytes are not its doctype: PHP notices, a stray byte or "?",
a <style> block, cache comments, a bare <script> before a fragment. All must be extracted as
HTML: article text without markup, CSS or JavaScript, and the page's date where it has one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractors.article import extract_document
from extractors.html import extract_html, looks_like_html

DATA = Path(__file__).parent / "data" / "html_detection"
LEADING_JUNK = ["php_warnings_before_doctype.html", "question_mark_before_doctype.html",
                "stray_byte_before_doctype.html", "style_block_before_html.html", "comment_before_doctype.html"]
MARKUP_SIGNS = ("<", ">", "{", "}", "Deprecated", "Warning", "font-size", "gtag", "W3 Total Cache")


@pytest.mark.parametrize("name", LEADING_JUNK + ["bare_script_fragment.html"])
def test_page_with_junk_before_its_markup_is_recognised_as_html(name):
    assert looks_like_html((DATA / name).read_bytes())


@pytest.mark.parametrize("name", LEADING_JUNK)
def test_junk_before_the_doctype_never_reaches_the_text_and_the_date_is_read(name):
    article = extract_document((DATA / name).read_bytes(), url="https://news.example.am/society/2023/09/01/school")
    assert article.text.startswith("Սեպտեմբերի 1-ին Երևանի")
    assert "կվերանորոգվեն" in article.text
    assert not any(sign in article.text for sign in MARKUP_SIGNS)
    assert article.published and article.published.startswith("2023-09-01")


def test_bare_script_before_a_fragment_gives_the_prose_not_the_script():
    article = extract_document((DATA / "bare_script_fragment.html").read_bytes())
    assert "ბულვარის მონაკვეთი გაიხსნა" in article.text
    assert not any(sign in article.text for sign in MARKUP_SIGNS)


@pytest.mark.parametrize("data", [
    b"Plain text about <Tbilisi> and Yerevan.\nSecond line with a <b> tag mentioned.",
    "Обычный текст новости.\nВторая строка без разметки, с символами < и >.".encode(),
    b'<?xml version="1.0"?>\n<!-- generator: x -->\n<rss version="2.0"><channel><title>t</title></channel></rss>',
    b"junk\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><content type=\"html\">&lt;html&gt;</content></entry></feed>",
])
def test_text_and_feeds_with_angle_brackets_are_not_html(data):
    assert not looks_like_html(data)


# --- eighth probe: markup built to make the parser or a JSON walk work without end -----------------

_ARTICLE = ("<article><h1>Border talks in Tbilisi</h1>" + "".join(
    f"<p>Armenian and Azerbaijani negotiators met in Tbilisi on Monday to discuss border delimitation, round {k}.</p>"
    for k in range(4)) + "</article>")


def test_an_element_with_a_flood_of_attributes_loses_them_before_parsing():
    from extractors.html import MAX_ATTRIBUTES, tame_attribute_floods

    flood = "<div " + " ".join(f"a{i}=x" for i in range(60_000)) + ">"  # quadratic in libxml2: minutes at 300,000
    tamed = tame_attribute_floods(f"<html><body>{flood}{_ARTICLE}</div></body></html>")
    assert "<div>" in tamed and "a59999" not in tamed
    ordinary = "<div " + " ".join(f'data-x{i}="{"y" * 80}"' for i in range(MAX_ATTRIBUTES)) + ">"
    assert tame_attribute_floods(ordinary + "</div>") == ordinary + "</div>"  # long, but few attributes: untouched
    article = extract_html(f"<html><head><title>Border talks</title></head><body>{flood}{_ARTICLE}</div></body></html>",
                           url="https://news.example.ge/a/1")
    assert article.text.startswith("Armenian and Azerbaijani negotiators")


def test_json_ld_nested_thousands_deep_is_ignored_and_the_page_still_read():
    deep = "[" * 200_000 + "]" * 200_000
    page = (f"<html><head><title>Border talks</title><script type='application/ld+json'>"
            f"{{\"@type\": \"NewsArticle\", \"articleBody\": {deep}}}</script></head><body>{_ARTICLE}</body></html>")
    article = extract_html(page, url="https://news.example.ge/a/2")
    assert article.text.startswith("Armenian and Azerbaijani negotiators")
