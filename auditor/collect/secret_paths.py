"""Where the partner sign-in keeps its secrets on disk, and the one check that keeps output folders apart.

The rule (issue 14): the token cache is never written under `--out`, never logged, never in a snapshot.
Output folders are what gets shared: attached to a pipeline run, zipped for a customer, synced to a share.
So an output folder (collect's and run's `--out`, run's `--snapshots`) must neither lie inside a folder
holding tokens, where our files would sit among them, nor contain one, where sharing the outputs would share
the tokens. The locations, as azure-identity 1.x decides them (azure/identity/_persistent_cache.py,
`_get_persistence`), the persistent cache being msal-extensions':

- Windows: `%LOCALAPPDATA%\\.IdentityService\\<name>.nocae` (a DPAPI-encrypted file);
- macOS: `~/.IdentityService/<name>.nocae`, a file whose timestamp tells MSAL to reload the Keychain entry;
- Linux: `~/.IdentityService/<name>.nocae`, the timestamp file of the libsecret entry, or the cache itself
  in plain text where no keyring exists and the config allows it (`allow_unencrypted_token_cache`);
- the AuthenticationRecord file our `auditor login` writes (auditor.collect.delegated.record_path).

Paths are compared as the operating system would resolve them: symbolic links and `..` resolved
(`realpath`), and without regard to case where the file system usually ignores it (Windows, and macOS,
whose default APFS volume is case-insensitive: refusing a differently-cased name that is in fact another
folder costs a rename, accepting one that is the same folder would leak tokens). Every function takes the
platform and the environment as arguments, so the Windows rules are tested on Linux with `ntpath`.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from auditor.config import AuthConfig

IDENTITY_SERVICE = ".IdentityService"  # azure-identity's folder for persistent caches, on every platform


@dataclass(frozen=True)
class SecretLocation:
    """A file or folder holding the partner sign-in's secrets (or the keys to find them)."""

    what: str  # "token cache folder", "sign-in record": how the error message names it
    path: str


class SecretPathError(Exception):
    """An output folder overlaps a secret location; one line naming both."""


def flavour(platform: str = sys.platform) -> ModuleType:
    """The path module of `platform`: ntpath for Windows, posixpath elsewhere."""
    return ntpath if platform.startswith("win") else posixpath


def _posix_home(environ: Mapping[str, str]) -> str:
    # What os.path.expanduser("~") gives azure-identity: $HOME, else the password database's entry.
    return environ.get("HOME") or os.path.expanduser("~")


def token_cache_folders(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> list[str]:
    """The folders azure-identity keeps persistent token caches in on `platform` (not yet resolved).

    On Windows azure-identity uses %LOCALAPPDATA% and has no cache at all without it; the usual
    %USERPROFILE%\\AppData\\Local is guarded then all the same (the variable may be set in a later shell)."""
    env = os.environ if environ is None else environ
    if platform.startswith("win"):
        local = env.get("LOCALAPPDATA") or (
            ntpath.join(env["USERPROFILE"], "AppData", "Local") if env.get("USERPROFILE") else "")
        return [ntpath.join(local, IDENTITY_SERVICE)] if local else []
    return [posixpath.join(_posix_home(env), IDENTITY_SERVICE)]


def secret_locations(
    auth: "AuthConfig | None", environ: Mapping[str, str] | None = None, platform: str = sys.platform
) -> list[SecretLocation]:
    """The token cache folder on every run (it may hold other tools' tokens too: an output folder holding it
    is never right), and for a delegated (`gdap`) run the AuthenticationRecord file as well."""
    locations = [SecretLocation("token cache folder", p) for p in token_cache_folders(environ, platform)]
    if auth is not None and auth.method == "gdap":
        from auditor.collect.delegated import record_path

        locations.append(SecretLocation("sign-in record", str(record_path(auth, environ))))
    return locations


def canonical(path: str, platform: str = sys.platform) -> str:
    """`path` as the file system resolves it, in the form two paths are compared in: links and `..`
    resolved, separators normalised, case folded where the file system usually ignores case."""
    module = flavour(platform)
    resolved = module.normcase(module.realpath(module.expanduser(path)))
    return resolved.casefold() if platform.startswith("darwin") else resolved


def _within(inner: str, outer: str, module: ModuleType) -> bool:
    """Whether canonical path `inner` is `outer` or below it."""
    try:
        return module.commonpath([inner, outer]) == outer
    except ValueError:  # another drive, or one relative and one absolute: never nested
        return False


def overlap(folder: str, location: str, platform: str = sys.platform) -> str:
    """How `folder` and `location` nest: "same", "inside" (the folder is below the location), "holds" (the
    location is below the folder), or "" when neither."""
    module = flavour(platform)
    a, b = canonical(folder, platform), canonical(location, platform)
    if a == b:
        return "same"
    if _within(a, b, module):
        return "inside"
    if _within(b, a, module):
        return "holds"
    return ""


def check_output_folder(
    folder: str | os.PathLike[str],
    auth: "AuthConfig | None",
    *,
    option: str = "--out",
    environ: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> None:
    """Raise SecretPathError (one line) when the output folder `folder` and a secret location overlap."""
    for location in secret_locations(auth, environ, platform):
        how = overlap(os.fspath(folder), location.path, platform)
        if how == "same":
            raise SecretPathError(f"{option} {os.fspath(folder)} is the {location.what}; choose another folder")
        if how == "inside":
            raise SecretPathError(
                f"{option} {os.fspath(folder)} is inside the {location.what} {location.path}: outputs are shared, "
                f"the {location.what} never is; choose another folder")
        if how == "holds":
            raise SecretPathError(
                f"{option} {os.fspath(folder)} holds the {location.what} {location.path}: sharing the folder "
                f"would share it; choose another folder")
