"""Checks of area `admins` (see ../shared/CHECKLIST.md)."""
