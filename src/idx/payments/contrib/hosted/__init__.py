"""The hosted-checkout provider (see module docs in client.py)."""
