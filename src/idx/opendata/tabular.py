"""Uploaded tables of the standard datasets: read, normalised and validated (filled in below)."""
