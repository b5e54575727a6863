"""Traceability domain: products, production areas, batches, EPCIS events, lineage,
identifiers (GS1 Digital Link), QR labels and the public trace page logic."""
