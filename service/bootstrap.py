"""The one place that wires a Kafka worker together: :func:`bootstrap`.

Entry points (``bilateral-monitor worker``) and tests build a worker through it, from one frozen
:class:`~service.config.Settings`: the Faust app with its agents and tables
(:func:`service.runtime.faust_app.build_app`), its :class:`~service.runtime.faust_app.Monitor`,
the HTTP views and ops service (:func:`service.api.views.register_views`, handed the monitor)
and the recovery watchdog. So imports run one way: ``cli`` -> ``bootstrap`` -> ``api`` ->
``runtime`` -> ``domain`` -> ``schemas``; nothing below imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import faust

from service.api.ops import Ops
from service.api.views import register_views
from service.config import Settings
from service.runtime.faust_app import Monitor, build_app
from service.runtime.watchdog import RecoveryWatchdog

__all__ = ["Worker", "bootstrap", "create_app"]


@dataclass(frozen=True)
class Worker:
    """What :func:`bootstrap` built: the Faust app, its monitor and its ops service."""

    app: faust.App
    monitor: Monitor
    ops: Ops


def bootstrap(settings: Settings, *, datadir: str | None = None) -> Worker:
    """Build a Faust worker from ``settings``: app, monitor, HTTP views, recovery watchdog.

    ``datadir`` is Faust's local data directory (default ``<data_dir>/faust-<web_port>``). Nothing
    connects to the broker until the app starts. The monitor is also at ``app.bilateral``.
    """
    app = build_app(settings, datadir=datadir)
    monitor: Monitor = app.bilateral  # type: ignore[attr-defined]
    ops = register_views(app, monitor)
    # A dependency of the app, not an app.service: those start only after the first recovery,
    # and the watchdog must watch that one too.
    app.add_dependency(
        RecoveryWatchdog(
            monitor,
            stall_seconds=settings.recovery_stall_seconds,
            broker_ok=ops.broker_reachable,
        )
    )
    return Worker(app=app, monitor=monitor, ops=ops)


def create_app(settings: Settings, *, datadir: str | None = None) -> faust.App:
    """``bootstrap(settings, datadir=datadir).app``: the app alone, for ``faust.Worker``."""
    return bootstrap(settings, datadir=datadir).app
