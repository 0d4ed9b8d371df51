"""The bundled demo portfolio: one partner tenant and its customers, as snapshots in the exact on-disk
format `auditor collect` writes. `config.toml` beside them holds the demo's branding, break-glass accounts
and risk acceptances."""
