"""Marshmallow schemas of the traceability domain: the API's contract."""
