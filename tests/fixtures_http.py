"""A real HTTP server on loopback serving the fixture site in tests/data/site/."""

from pathlib import Path

import pytest

from flows.sample_site import SampleSite

SITE = Path(__file__).resolve().parent / "data" / "site"


@pytest.fixture
def site():
    with SampleSite(SITE) as running:
        yield running


@pytest.fixture
def site_feeds(site, tmp_path) -> Path:
    """The fixture feed list with the server's real address filled in."""
    path = tmp_path / "feeds.yaml"
    path.write_text((SITE / "feeds.yaml").read_text(encoding="utf-8").replace("{base}", site.base), encoding="utf-8")
    return path
