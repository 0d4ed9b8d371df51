"""The report templates (Jinja2), the print stylesheet and the bundled assets, shipped as package data.
``auditor.report.paths`` finds them through this package's ``__path__``."""
