"""HTTP views of a Kafka worker (Faust web): health, readiness, metrics, relationships, alerts,
the dashboard, and the ops service behind them.

The views are handed the worker's monitor by :func:`service.bootstrap.bootstrap` and see it as
:class:`service.api.ports.WorkerState`. Imports: ``schemas``, :mod:`service.config`,
``service.domain`` and ``service.runtime``; never ``service.bootstrap`` or ``service.cli``.
"""
