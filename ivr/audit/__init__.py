"""Audit: policy files (shipped in policies/), the checks of their rules, verdicts, SARIF.

May import walk, callers and the rooms below them.
"""
