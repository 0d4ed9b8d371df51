"""CSP security posture auditor: collect → snapshot → evaluate → score → store → render."""

__version__ = "0.1.0"
TOOL_NAME = "csp-posture-auditor"
# Bumped whenever a check's rule changes meaning, so archived results say which rules produced them.
RULESET_VERSION = "2026.11-wave1"
