"""Fixtures for the smtp test server (filled in by its tests)."""
