from pathlib import Path

import pytest

from auditor.config import ConfigError, load_config, parse_config, validate_acceptances


def test_full_config_parses(tmp_path):
    config = parse_config('''
concurrency = 4
[partner]
id = "11111111-2222-3333-4444-555555555555"
name = "Northwind"
[[tenants]]
id = "aaaaaaaa-2222-3333-4444-555555555555"
name = "Contoso"
tags = ["tier:gold"]
break_glass = ["bg1@contoso.com"]
[auth]
method = "client_secret"
client_id = "00000000-0000-0000-0000-00000000abcd"
client_secret_env = "NORTHWIND_AUDITOR_SECRET"
[settings]
mfa_registration_threshold = 0.9
[[risk_acceptances]]
check = "CST-2"
tenant = "aaaaaaaa-2222-3333-4444-555555555555"
reason = "Anomaly alerts replaced by the FinOps tool"
owner = "cfo@contoso.com"
expires = 2027-03-31
''', "tenants.toml")
    assert config.concurrency == 4
    settings = config.check_settings("AAAAAAAA-2222-3333-4444-555555555555")
    assert settings.break_glass_accounts == ("bg1@contoso.com",)
    assert settings.mfa_registration_threshold == 0.9
    assert config.tags_of("aaaaaaaa-2222-3333-4444-555555555555") == ["tier:gold"]
    assert config.risk_acceptances[0].covers("aaaaaaaa-2222-3333-4444-555555555555")


def test_secret_in_file_is_refused_naming_the_variable():
    with pytest.raises(ConfigError) as error:
        parse_config('[auth]\nclient_id = "x"\nclient_secret = "hunter2"\nclient_secret_env = "MY_SECRET"\n', "t.toml")
    message = str(error.value)
    assert "MY_SECRET" in message and "hunter2" not in message
    assert message.startswith("t.toml:1:") or message.startswith("t.toml:")


def test_error_names_file_line_and_field():
    text = 'concurrency = 4\n\n[settings]\nmfa_registration_threshold = "high"\n'
    with pytest.raises(ConfigError) as error:
        parse_config(text, "tenants.toml")
    assert str(error.value).startswith("tenants.toml:4: field settings.mfa_registration_threshold")


def test_bad_toml_and_unknown_key():
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_config("[partner\n", "x.toml")
    with pytest.raises(ConfigError, match="tenantz"):
        parse_config('[[tenantz]]\nid = "x"\n', "x.toml")


def test_unknown_check_in_acceptance_is_a_config_error():
    config = parse_config('[[risk_acceptances]]\ncheck = "MFA-99"\nreason = "r"\nowner = "o"\nexpires = 2027-01-01\n')
    with pytest.raises(ConfigError, match="unknown check id 'MFA-99'"):
        validate_acceptances(config, {"MFA-1"}, "t.toml")


def test_relative_logo_resolves_against_config_dir(tmp_path):
    path = tmp_path / "tenants.toml"
    path.write_text('[branding]\nlogo = "logo.png"\nprimary_color = "#123456"\n')
    assert load_config(path).branding.logo == (tmp_path / "logo.png").resolve()
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(Path(tmp_path / "missing.toml"))


def test_certificate_method_needs_a_path():
    with pytest.raises(ConfigError, match="certificate_path"):
        parse_config('[auth]\nmethod = "certificate"\nclient_id = "x"\n')


@pytest.mark.parametrize("url", ["http://127.0.0.1.example.com", "http://graph.microsoft.com", "ftp://127.0.0.1", "127.0.0.1"])
def test_plain_http_only_to_the_loopback_host(url):
    with pytest.raises(ConfigError, match="endpoints.graph"):
        parse_config(f'[endpoints]\ngraph = "{url}"\n')


def test_loopback_and_https_endpoints_are_accepted():
    config = parse_config('[endpoints]\ngraph = "http://127.0.0.1:8400/"\narm = "https://management.usgovcloudapi.net"\n')
    assert config.endpoints.graph == "http://127.0.0.1:8400"
    assert config.endpoints.arm == "https://management.usgovcloudapi.net"


@pytest.mark.parametrize("text, line, field", [
    # The second [[tenants]] entry's id, written after its name: the line of that id, not the first `id =`.
    ('[partner]\nid = "2067070c-c4d1-4ed3-a9f0-5a7c5de0c3c3"\n\n[[tenants]]\nid = "42c6556c-0e25-4142-8ead-98b4bfe85fdf"\n'
     '\n[[tenants]]\nname = "b"\nid = "not-a-guid"\n', 9, "tenants[#2].id"),
    ('[auth]\nclient_id = "x"\nmethod = "nope"\n', 3, "auth.method"),
    ('[[tenants]]\nid = "42c6556c-0e25-4142-8ead-98b4bfe85fdf"\n[[tenants]]\nname = "no id"\n', 3, "tenants[#2].id"),
])
def test_error_line_is_the_entry_and_key_at_fault(text, line, field):
    with pytest.raises(ConfigError) as error:
        parse_config(text, "tenants.toml")
    assert str(error.value).startswith(f"tenants.toml:{line}: field {field}:"), str(error.value)
