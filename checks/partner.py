"""Checks of area `partner` (see ../shared/CHECKLIST.md)."""
