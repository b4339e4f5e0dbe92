"""Fixtures for the http test server (filled in by its tests)."""
