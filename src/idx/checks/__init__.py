"""Automated checks (the RPA part): the rules a procedure declares, run on every application."""
