"""Small pages that carry no article, only a way to it: a meta refresh, or a frame around it."""

from pathlib import Path

import pytest

from extractors.redirect_pages import frame_target, redirect_page_target

FRAMES = Path(__file__).parent / "data" / "frame_pages"
BASE = "https://www.example-news.am/rss/go/81234"


@pytest.mark.parametrize("name, target", [
    ("interstitial_same_site.html", "https://www.example-news.am/page.html?from=rss"),
    ("frameset_same_site.html", "https://www.example-news.am/page.html"),
])
def test_a_page_that_is_one_frame_of_its_own_site_leads_to_that_frame(name, target):
    assert redirect_page_target((FRAMES / name).read_bytes(), BASE) == target


def test_a_small_page_embedding_another_sites_video_is_the_page_itself():
    assert redirect_page_target((FRAMES / "video_embed_elsewhere.html").read_bytes(), BASE) is None


def test_a_frame_beside_text_of_its_own_or_beside_other_frames_is_part_of_the_page():
    words = " ".join(["Yerevan"] * 60)
    assert frame_target(f"<html><body><p>{words}</p><iframe src='/a'></iframe></body></html>".encode(), BASE) is None
    two = b"<html><body><iframe src='/a'></iframe><iframe src='/b'></iframe></body></html>"
    assert frame_target(two, BASE) is None


def test_a_frame_of_the_page_itself_or_of_a_big_page_is_no_redirect():
    assert frame_target(b"<html><body><iframe src='/rss/go/81234'></iframe></body></html>", BASE) is None
    big = b"<html><body><iframe src='/a'></iframe>" + b"<!-- padding -->" * 2000 + b"</body></html>"
    assert redirect_page_target(big, BASE) is None


def test_the_mobile_and_www_hosts_of_a_site_are_one_site():
    page = b"<html><body><iframe src='https://m.example-news.am/a/1'></iframe></body></html>"
    assert frame_target(page, BASE) == "https://m.example-news.am/a/1"
