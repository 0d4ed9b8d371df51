"""The token cache and the sign-in record never share a folder with the outputs (auditor.collect.secret_paths),
on Linux, macOS and Windows: the Windows rules run here through ntpath (platform="win32"), with made-up
Windows paths that are never touched on disk."""

from __future__ import annotations

import ntpath
import os
from pathlib import Path, PureWindowsPath

import pytest

from auditor.collect.secret_paths import (
    SecretPathError,
    canonical,
    check_output_folder,
    overlap,
    secret_locations,
    token_cache_folders,
)
from auditor.config import AuthConfig

GDAP = AuthConfig(method="gdap", client_id="22222222-0000-4000-8000-00000000a11d")
WINDOWS_ENV = {"LOCALAPPDATA": r"C:\Users\Ann\AppData\Local", "USERPROFILE": r"C:\Users\Ann",
               "XDG_CONFIG_HOME": r"C:\Users\Ann\.config"}


def test_windows_cache_is_under_localappdata_as_azure_identity_puts_it() -> None:
    assert token_cache_folders(WINDOWS_ENV, "win32") == [r"C:\Users\Ann\AppData\Local\.IdentityService"]
    # Without LOCALAPPDATA azure-identity has no cache; the usual place is guarded all the same.
    assert token_cache_folders({"USERPROFILE": r"D:\Home\Bo"}, "win32") == [r"D:\Home\Bo\AppData\Local\.IdentityService"]
    assert token_cache_folders({}, "win32") == []


def test_posix_cache_is_under_home(tmp_path: Path) -> None:
    for platform in ("linux", "darwin"):
        assert token_cache_folders({"HOME": str(tmp_path)}, platform) == [str(tmp_path / ".IdentityService")]


@pytest.mark.parametrize(("folder", "how"), [
    (r"C:\Users\Ann\AppData\Local\.IdentityService", "same"),
    (r"c:\users\ann\appdata\local\.identityservice\reports", "inside"),  # case ignored, as NTFS does
    (r"C:/Users/Ann/AppData/Local/.IdentityService/out", "inside"),  # forward slashes
    (r"C:\Users\Ann\Documents\..\AppData\Local\.IdentityService\x", "inside"),  # .. resolved
    (r"C:\Users\ANN", "holds"),
    (r"C:\\", "holds"),
    (r"C:\Users\Ann\AppData\Local\.IdentityServiceOld", ""),  # a prefix of the name is not the folder
    (r"C:\Users\Ann\out", ""),
    (r"D:\Users\Ann\AppData\Local\.IdentityService", ""),  # another drive
])
def test_windows_overlap(folder: str, how: str) -> None:
    assert overlap(folder, r"C:\Users\Ann\AppData\Local\.IdentityService", "win32") == how


def test_windows_paths_compare_as_ntpath_normalises_them() -> None:
    assert canonical(r"C:/USERS/Ann/x", "win32") == ntpath.normcase(str(PureWindowsPath(r"c:\users\ann\x")))


def test_windows_out_and_the_sign_in_record() -> None:
    record = r"C:\Users\Ann\.config\csp-posture-auditor\authentication-record.json"
    locations = {loc.what: loc.path for loc in secret_locations(GDAP, WINDOWS_ENV, "win32")}
    assert PureWindowsPath(locations["sign-in record"]) == PureWindowsPath(record)
    with pytest.raises(SecretPathError, match="holds the sign-in record"):
        check_output_folder(r"C:\Users\Ann\.CONFIG", GDAP, environ=WINDOWS_ENV, platform="win32")
    with pytest.raises(SecretPathError, match="inside the token cache folder"):
        check_output_folder(r"c:\users\ann\appdata\local\.identityservice\out", None, environ=WINDOWS_ENV,
                            platform="win32")
    check_output_folder(r"C:\Users\Ann\audits\out", GDAP, environ=WINDOWS_ENV, platform="win32")
    # An app-only run has no sign-in record: ~\.config may hold the outputs.
    check_output_folder(r"C:\Users\Ann\.config", AuthConfig(method="client_secret", client_id="x"),
                        environ=WINDOWS_ENV, platform="win32")


def test_macos_ignores_case_as_its_default_volume_does(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    with pytest.raises(SecretPathError, match="inside the token cache folder"):
        check_output_folder(tmp_path / ".identityservice" / "out", None, environ=env, platform="darwin")
    assert overlap(str(tmp_path / ".identityservice" / "out"), str(tmp_path / ".IdentityService"), "linux") == ""


def test_links_are_resolved_before_comparing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".IdentityService").mkdir(parents=True)
    elsewhere = tmp_path / "reports"
    elsewhere.symlink_to(home / ".IdentityService")  # a folder that is the cache under another name
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    with pytest.raises(SecretPathError, match="is the token cache folder"):
        check_output_folder(elsewhere, None, environ=env, platform="linux")
    with pytest.raises(SecretPathError, match="inside the token cache folder"):
        check_output_folder(elsewhere / "not-yet-made", None, environ=env, platform="linux")
    home_link = tmp_path / "home-link"
    home_link.symlink_to(home)
    with pytest.raises(SecretPathError, match="holds the token cache folder"):  # $HOME named through a link
        check_output_folder(home, None, environ={"HOME": str(home_link)}, platform="linux")
    relative = os.path.relpath(tmp_path / "out")
    check_output_folder(relative, GDAP, environ=env, platform="linux")


def test_a_configured_record_path_is_guarded(tmp_path: Path) -> None:
    auth = AuthConfig(method="gdap", client_id="c", authentication_record=tmp_path / "out" / "record.json")
    env = {"HOME": str(tmp_path / "home")}
    with pytest.raises(SecretPathError, match=r"--snapshots .* holds the sign-in record"):
        check_output_folder(tmp_path / "out", auth, option="--snapshots", environ=env, platform="linux")
    with pytest.raises(SecretPathError, match="is the sign-in record"):
        check_output_folder(tmp_path / "out" / "record.json", auth, environ=env, platform="linux")
