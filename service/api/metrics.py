"""The ``/metrics`` view's registry, as the api sees it: :mod:`service.runtime.metrics`.

The runtimes count into :class:`Metrics` (they own it); the views only render it. This module
re-exports it so that the api and its users name one place. Imports: ``service.runtime`` only.
"""

from __future__ import annotations

from service.runtime.metrics import CONTENT_TYPE_LATEST, Metrics, reason_label

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "reason_label"]
