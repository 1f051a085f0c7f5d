"""The sealer loop: chains the committed audit entries every second until told to stop.

``idx worker`` runs it in a background thread, ``idx manage audit_seal --follow`` in the foreground.
A round that fails (the database is down or restarting) is logged and retried the next round;
nothing is lost meanwhile, the entries just wait unsealed (see ``seal_backlog`` and the gauge).
Several sealers (one per worker) may run at once: each round locks the chain head of the
municipality it seals.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connections

from idx.audit.services import SEAL_LIMIT, audit_seal

logger = logging.getLogger(__name__)


def run_sealer(stop: threading.Event, every: float = 1.0) -> None:
    """Seal every ``every`` seconds until ``stop`` is set; a full round goes again at once."""
    failing = False
    try:
        while not stop.is_set():
            sealed = 0
            try:
                # A connection broken by a database restart is dropped here and opened afresh.
                close_old_connections()
                sealed = audit_seal()
            except Exception:
                if not failing:
                    logger.exception("audit sealer: a round failed; retrying every %.1f s", every)
                else:
                    logger.debug("audit sealer: the round failed again", exc_info=True)
                failing = True
                # Whatever state the connection is in, the next round starts with a new one.
                connections.close_all()
            else:
                if failing:
                    logger.info("audit sealer: sealing again after failed rounds")
                failing = False
                if sealed:
                    logger.debug("audit sealer: %d entries sealed", sealed)
            if sealed < SEAL_LIMIT:
                stop.wait(every)
    finally:
        # Connections are per thread: close this thread's own.
        connections.close_all()
