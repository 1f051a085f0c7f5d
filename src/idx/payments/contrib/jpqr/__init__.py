"""The JPQR payment slip provider."""
