"""Live collection from Microsoft Graph and Azure Resource Manager, and the local emulator used by tests.

`collect_all(config, out_dir)` is the entry point; heavy libraries (msgraph-sdk, azure-identity, aiohttp)
are imported by the submodules that need them.
"""

from auditor.collect.collector import CollectError, collect_tenant
from auditor.collect.portfolio import collect_all, collect_all_async
from auditor.collect.options import CollectOptions

__all__ = ["CollectError", "CollectOptions", "collect_all", "collect_all_async", "collect_tenant"]
