"""Marshmallow schemas of the linkages domain: the API contract."""
