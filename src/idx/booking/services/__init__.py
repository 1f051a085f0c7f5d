"""Writes of counter booking, one module per topic: ``bookings`` (make, cancel, move, remind),
``tickets`` (the waiting queue at the counter) and ``setup`` (services, hours, closures,
counters). Callers import from the topic module; reads are in ``idx.booking.selectors``."""
