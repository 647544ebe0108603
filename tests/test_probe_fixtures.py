"""The probe fixtures through pytest (pytester, in process): built from the environment file,
skipped when their table is missing, recording evidence; and the issue's "done when" checks,
each a few lines, run against the real servers in their pass and fail cases."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

# The checks a user writes (docs/probes.md shows the same ones).
DONE_WHEN_CHECKS = '''
def test_certificates_valid_30_days_on_every_endpoint(launch_tls):
    problems = launch_tls.days_left_problems(min_days=30)
    assert not problems, "\\n".join(problems)

def test_dns_records_match(launch_dns):
    problems = launch_dns.expected_problems()
    assert not problems, "\\n".join(problems)

def test_hsts_present(launch_http):
    assert "max-age=" in launch_http.get("/").headers.get("Strict-Transport-Security", "")

def test_rate_limiting_answers_429(launch_http, launch_env):
    assert 429 in launch_http.burst(launch_env["custom"]["rate_limited_path"], count=20)

def test_newest_backup_younger_than_24_hours(launch_s3):
    problems = launch_s3.backup_problems(max_age_hours=24)
    assert not problems, "\\n".join(problems)

def test_soa_serials_agree(launch_dns):
    serials = launch_dns.soa_serials()
    assert len(set(serials.values())) == 1, serials
'''


def env_file(nginx_testbed, bind9_testbed, moto_s3, bucket: str, *, good: bool) -> str:
    https = "good" if good else "expiring"
    www = '["127.0.0.1", "127.0.0.2"]' if good else '["127.0.0.1", "127.0.0.3"]'
    return f'''
[environment]
name = "{'good' if good else 'bad'}"

[http]
base_url = "{nginx_testbed.url(https)}"
ca_bundle = "ca.pem"
timeout = 3
retries = 0

[tls]
ca_bundle = "ca.pem"
timeout = 3
endpoints = [
    {{ host = "localhost", port = {nginx_testbed.ports["good"]}, address = "127.0.0.1" }},
    {{ host = "localhost", port = {nginx_testbed.ports[https]}, address = "127.0.0.1" }},
]

[dns]
zone = "launch.test"
nameservers = ["{bind9_testbed.addresses[0]}"]
authoritative = {json.dumps(bind9_testbed.addresses)}
timeout = 2

[dns.expected.www]
A = {www}

[aws]
region = "us-east-1"
endpoint_url = "{moto_s3.endpoint_url}"
max_attempts = 1

[backups]
bucket = "{bucket}"
prefix = "{'db/' if good else 'nothing-here/'}"

[custom]
rate_limited_path = "{'/limited' if good else '/'}"
'''


@pytest.fixture
def project(pytester, nginx_testbed, bind9_testbed, moto_s3, aws_credentials):
    bucket = moto_s3.new_bucket()
    body = b"nightly dump"
    moto_s3.client().put_object(Bucket=bucket, Key="db/nightly.dump", Body=body,
                                Metadata={"sha256": hashlib.sha256(body).hexdigest()})
    shutil.copy(nginx_testbed.ca_bundle, pytester.path / "ca.pem")
    for good in (True, False):
        name = "good" if good else "bad"
        (pytester.path / f"{name}.toml").write_text(env_file(nginx_testbed, bind9_testbed, moto_s3, bucket, good=good))
    return pytester


def run(pytester, env: str, *args: str):
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "pytest_launch.plugin.fixtures",
                                        f"--env={pytester.path / env}", "-p", "no:randomly",
                                        f"--launch-report-dir={pytester.path / 'reports'}", *args)


def test_done_when_checks_pass_against_good_servers(project):
    project.makepyfile(test_checks=DONE_WHEN_CHECKS)
    result = run(project, "good.toml")
    result.assert_outcomes(passed=6)


def test_done_when_checks_fail_against_bad_servers(project, bind9_serials_disagree):
    project.makepyfile(test_checks=DONE_WHEN_CHECKS)
    result = run(project, "bad.toml")
    result.assert_outcomes(failed=6)
    out = result.stdout.str()
    assert "certificate chain expires in 9 days" in out
    assert "www.launch.test. A: expected 127.0.0.1, 127.0.0.3" in out
    assert "nothing-here/: no object under this prefix" in out
    assert "2024060101" in out and "2024060102" in out


def test_missing_table_skips_with_its_name(pytester):
    (pytester.path / "bare.toml").write_text('[environment]\nname = "bare"\n')
    pytester.makepyfile(test_one='''
def test_http(launch_http):
    pass

def test_s3(launch_s3):
    pass

def test_lazy(launch_probes):
    launch_probes.dns
''')
    result = run(pytester, "bare.toml", "-rs")
    result.assert_outcomes(skipped=3)
    out = result.stdout.str()
    assert "not configured: fill in [http] in bare.toml" in out  # relative to the rootdir
    assert not [line for line in out.splitlines() if "not configured" in line and str(pytester.path) in line]
    assert "launch checklist: none (readiness/checklist.toml does not exist)" in out
    assert "not configured: fill in [aws] or [backups] in" in out
    assert "not configured: fill in [dns] in" in out


def test_probe_calls_record_evidence(project):
    project.makepyfile(test_evidence='''
def test_http(launch_http, launch_evidence):
    launch_http.get("/")
    (key,) = [k for k in launch_evidence.values if k.startswith("http GET")]
    assert launch_evidence.values[key]["status"] == 200

def test_lazy_probes(launch_probes, launch_evidence):
    assert launch_probes.tls.probe_many()[0].ok
    assert launch_probes.tls is launch_probes.tls  # built once
    assert any(k.startswith("tls localhost:") for k in launch_evidence.values)
    assert sorted(dir(launch_probes)) == ["alertmanager", "aws", "dns", "http", "prometheus", "s3", "tls"]
''')
    result = run(project, "good.toml")
    result.assert_outcomes(passed=2)


def test_secret_from_env_var_is_masked_in_failures(project, monkeypatch, closed_port):
    monkeypatch.setenv("LAUNCH_TEST_TOKEN", "tok-very-secret")
    (project.path / "secret.toml").write_text(f'''
[http]
base_url = "http://127.0.0.1:{closed_port}/t/${{LAUNCH_TEST_TOKEN}}/"
retries = 0
''')
    project.makepyfile(test_secret='''
def test_health(launch_http):
    launch_http.get("health")
''')
    result = run(project, "secret.toml")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "connection refused" in out
    assert "/t/***/health: connection refused" in out


def test_tls_pool_size_from_ini_unless_the_environment_sets_it(pytester, monkeypatch):
    (pytester.path / "unset.toml").write_text('[tls]\nendpoints = ["localhost:1"]\n')
    (pytester.path / "set.toml").write_text('[tls]\nendpoints = ["localhost:1"]\nmax_workers = 7\n')
    pytester.makepyfile(test_pool='''
import os

def test_pool(launch_tls):
    assert launch_tls.settings.max_workers == int(os.environ["EXPECTED_WORKERS"])
''')
    monkeypatch.setenv("EXPECTED_WORKERS", "3")
    run(pytester, "unset.toml", "-o", "launch_tls_max_workers=3").assert_outcomes(passed=1)
    monkeypatch.setenv("EXPECTED_WORKERS", "7")
    run(pytester, "set.toml", "-o", "launch_tls_max_workers=3").assert_outcomes(passed=1)


def test_every_probe_fixture_closes_its_probe_at_the_end_of_its_scope(pytester, closed_port):
    # launch_prometheus and launch_alertmanager returned their probe: its HTTP session was never
    # closed. Every probe fixture now yields and closes; the probes themselves are never called.
    url = f"http://127.0.0.1:{closed_port}"
    (pytester.path / "all.toml").write_text(f'''
[http]
base_url = "{url}/"
[tls]
endpoints = ["localhost:{closed_port}"]
[dns]
zone = "launch.test"
nameservers = ["127.0.0.1"]
[aws]
region = "us-east-1"
endpoint_url = "{url}"
[backups]
bucket = "b"
[prometheus]
url = "{url}"
[alertmanager]
url = "{url}"
''')
    pytester.makepyfile(test_close='''
import pytest

FIXTURES = ["launch_http", "launch_tls", "launch_dns", "launch_s3", "launch_aws", "launch_prometheus",
            "launch_alertmanager"]
OPEN, CLOSED = [], []

@pytest.mark.parametrize("name", FIXTURES)
def test_uses(name, request):
    probe = request.getfixturevalue(name)
    close = probe.close

    def recording_close():
        CLOSED.append(name)
        close()

    probe.close = recording_close
    OPEN.append(name)
    assert name not in CLOSED  # not before the end of the test

def test_all_closed():
    assert OPEN == FIXTURES
    assert CLOSED == FIXTURES
''')
    result = run(pytester, "all.toml", "-p", "no:randomly")
    result.assert_outcomes(passed=8)
