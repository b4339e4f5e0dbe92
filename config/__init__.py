"""Configuration: the feed list, the gazetteer, the bundled seed corpus and the settings object."""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
FEEDS_FILE = CONFIG_DIR / "feeds.yaml"
TOPICS_FILE = CONFIG_DIR / "topics.yaml"
SEEDS_DIR = CONFIG_DIR / "seeds"
