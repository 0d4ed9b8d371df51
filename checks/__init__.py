"""The built-in checks, one module per area, registered through the `auditor.checks` entry points."""
