"""Operational tools over a real broker, run by ``scripts/chaos`` and ``scripts/soak`` and by the
integration tests: synthetic articles, worker processes, the chaos and soak runs."""
