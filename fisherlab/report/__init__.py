"""Derivation reports: every family's exact derivation, verification table and figures.

>>> from fisherlab.report import write_report                       # doctest: +SKIP
>>> write_report("gamma", "out/")                                  # out/gamma.md + out/figures/

``fisherlab report FAMILY [-o DIR] [--format md|tex]`` is the command-line front end, and
``scripts/generate_derivations.py`` writes ``derivations/`` for the whole catalog.
"""

from .build import ReportResult, build_document, report_stem, run_verification, write_report
from .document import mask, to_markdown, to_tex

__all__ = ["write_report", "build_document", "run_verification", "report_stem", "ReportResult",
           "mask", "to_markdown", "to_tex"]
