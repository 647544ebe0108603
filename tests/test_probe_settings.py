"""The probe tables of an environment file load typed, and bad ones stop with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_launch.config.environment import load_environment
from pytest_launch.core.errors import ConfigError
from pytest_launch.probes import known_probes, probe_class
from pytest_launch.probes.aws import AwsSettings, BackupSettings
from pytest_launch.probes.dns import DnsSettings
from pytest_launch.probes.http import HttpSettings
from pytest_launch.probes.tls import TlsEndpoint, TlsSettings

FULL = '''
[http]
base_url = "https://shop.example.com"
ca_bundle = "ca.pem"

[tls]
endpoints = ["shop.example.com", "api.example.com:8443", { host = "cdn.example.com", address = "127.0.0.1" }]
max_workers = 64

[dns]
zone = "example.com"
nameservers = ["127.0.0.1:5353"]
caa_issuers = ["letsencrypt.org"]
[dns.expected.www]
A = ["192.0.2.10"]
MX = ["10 mail.example.com"]

[aws]
region = "eu-west-1"
endpoint_url = "http://127.0.0.1:9000"

[backups]
bucket = "shop-backups"
prefix = "postgres/"
max_age_hours = 26
'''


def test_every_probe_table_loads_typed(tmp_path):
    path = tmp_path / "prod.toml"
    path.write_text(FULL)
    env = load_environment(path)
    # a relative file name is relative to the environment file's folder
    assert isinstance(env.table("http"), HttpSettings)
    assert env["http"].ca_bundle == str(env.path.parent / "ca.pem")
    tls = env.table("tls")
    assert isinstance(tls, TlsSettings)
    assert tls.targets() == [TlsEndpoint("shop.example.com", 443), TlsEndpoint("api.example.com", 8443),
                             TlsEndpoint("cdn.example.com", 443, "127.0.0.1")]
    assert isinstance(env.table("dns"), DnsSettings) and env["dns"].expected["www"]["MX"] == ["10 mail.example.com"]
    assert isinstance(env.table("aws"), AwsSettings) and env["aws"].region == "eu-west-1"
    assert isinstance(env.table("backups"), BackupSettings) and env["backups"].max_age_hours == 26.0


@pytest.mark.parametrize(("text", "message"), [
    ('[tls]\nendpoints = ["host:99999"]', "tls: expected endpoints as 'host' or 'host:port', found 'host:99999'"),
    ('[tls]\nrefused_protocols = ["SSLv3"]', "tls: expected protocol names among TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"),
    ('[http]\nbase_url = "https://x"\ntimeout = "10"', "http.timeout: expected a number, found str '10'"),
    ('[aws]\nsecret_access_key = "x"', "aws.secret_access_key: expected one of the keys of [aws], found an unknown key"),
    ('[backups]\nprefix = "db/"', "backups.bucket: expected a string, found nothing (it is required)"),
    ('[dns]\nnameservers = ["dns.example.com"]', "dns: expected nameservers as IP addresses"),
])
def test_bad_tables_name_file_key_expected_found(tmp_path, text, message):
    path = tmp_path / "prod.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_environment(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_registry_names_every_probe_and_imports_lazily():
    assert known_probes() == ["alertmanager", "aws", "dns", "http", "prometheus", "s3", "tls"]
    assert probe_class("tls").__name__ == "TlsProbe"
    with pytest.raises(KeyError, match="no probe named 'ftp'"):
        probe_class("ftp")


@pytest.mark.parametrize("table, key", [("prometheus", "bearer_token"), ("custom", "api_token"),
                                        ("custom", "password")])
def test_a_literal_credential_in_the_file_is_refused(tmp_path: Path, table: str, key: str) -> None:
    path = tmp_path / "prod.toml"
    url = 'url = "http://127.0.0.1:9090"\n' if table == "prometheus" else ""
    path.write_text(f'[{table}]\n{url}{key} = "hunter2-literal"\n')
    with pytest.raises(ConfigError) as excinfo:
        load_environment(path, process_env={})
    message = str(excinfo.value)
    assert f"{table}.{key}: expected a ${{VAR}} reference" in message
    assert "hunter2-literal" not in message


def test_a_credential_from_a_variable_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "prod.toml"
    path.write_text('[custom]\napi_token = "${API_TOKEN}"\n')
    env = load_environment(path, process_env={"API_TOKEN": "s3cr3t-value"})
    assert env["custom"]["api_token"] == "s3cr3t-value"
    assert "s3cr3t-value" in env.secrets
