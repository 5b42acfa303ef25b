"""Deterministic demo data for a fictional county (Wyvernshire): a whole landing folder plus the truth.

`generate_demo(landing, seed=42, scale="county", latest_month="2026-10")` writes every landing dataset
of the contract (with the deliberate mess real folders have), a corrected re-delivery of one ledger month
in `corrections/`, and `demo_ground_truth.json` with the effects planted in the school outcomes.
"""

from orchestration.demo.generate import Correction, DemoSummary, generate_demo

__all__ = ["Correction", "DemoSummary", "generate_demo"]
