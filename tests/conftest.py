"""Shared fixtures live in addon/testing.py (a pytest plugin); this file holds suite-wide hooks."""
