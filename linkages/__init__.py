"""Linkages domain: the registry of places and organisations, contracts, deliveries,
supplier verification and the value-chain linkage indicator."""
