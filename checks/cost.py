"""Checks of area `cost` (see ../shared/CHECKLIST.md)."""
