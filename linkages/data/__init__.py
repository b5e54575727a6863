"""Data shipped with the linkages package (loaded by its services, never edited by hand)."""
