"""Checks of area `defender` (see ../shared/CHECKLIST.md)."""
