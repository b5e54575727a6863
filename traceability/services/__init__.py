"""Services of the traceability domain: plain functions taking the actor first, checking
permission with ``core.actor``, raising ``core.errors`` exceptions and never committing (the
API view or CLI command that called them commits once)."""
