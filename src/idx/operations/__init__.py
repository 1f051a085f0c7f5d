"""Running IDX: backups and their restore, health and readiness, metrics and logs."""
