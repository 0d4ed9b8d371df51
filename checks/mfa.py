"""Checks of area `mfa` (see ../shared/CHECKLIST.md)."""
