"""CSP security posture auditor: collect → snapshot → evaluate → score → store → render."""

__version__ = "0.1.0"
TOOL_NAME = "csp-posture-auditor"
# The checklist version (CHECKLIST.md "Rules version 3"): a plain version string, bumped whenever a check's
# rule changes meaning, so archived results say which rules produced them. Reports print it with its date.
RULESET_VERSION = "3"
RULESET_DATE = "November 2026"
