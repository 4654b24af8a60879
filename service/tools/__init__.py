"""Tools for scripts, benchmarks and the integration tests, never run in a worker: synthetic
articles and observations, worker processes, the chaos and soak runs over a real broker.

Imports: ``schemas``, :mod:`service.config`, ``service.domain`` and ``service.runtime``.
"""
