"""Commitment extraction: one inbound event -> commitment and engagement observations.

Public API: :func:`extract`. Rules and lexicons are data under ``service/domain/data``
(gazetteer.json, lexicon.json, terms.json); see ``extractor`` for the pipeline and the
confidence formula.
"""

from __future__ import annotations

from service.domain.extraction.extractor import extract

__all__ = ["extract"]
