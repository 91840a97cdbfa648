"""Tests of the GitHub REST edge beyond tests/test_github.py: App auth, pacing, the fakes."""
