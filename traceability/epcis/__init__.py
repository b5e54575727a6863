"""GS1 EPCIS 2.0: validation, CBV vocabularies and (later) capture and query of events."""
