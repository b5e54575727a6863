"""Frozen snapshot of places; regenerate with scripts/build_places_snapshot.py."""
