"""The small shared base both domains stand on: the database handle, domain errors,
the acting user (``Actor``) and the permission rules, translation helpers."""
