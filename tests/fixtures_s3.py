"""Fixtures for the s3 test server (filled in by its tests)."""
