"""The DNS probe against two real bind9 authoritative servers on loopback."""

from __future__ import annotations

import pytest

from pytest_launch.core.errors import ConfigError
from pytest_launch.core.settings import build
from pytest_launch.probes.dns import DnsProbe, DnsSettings, dmarc_problems, spf_problems
from pytest_launch.probes.errors import ProbeError

EXPECTED = {
    "www": {"A": ["127.0.0.1", "127.0.0.2"], "AAAA": ["::1"]},
    "api.launch.test": {"CNAME": ["www.launch.test"]},
    "@": {"MX": ["10 mail.launch.test."], "TXT": ["v=spf1 mx ip4:127.0.0.1 -all"]},
}


@pytest.fixture
def dns_probe(bind9_testbed) -> DnsProbe:
    return DnsProbe(DnsSettings(zone="launch.test", nameservers=bind9_testbed.addresses[:1],
                                authoritative=bind9_testbed.addresses, timeout=2, ttl_min=60, ttl_max=86400,
                                expected=EXPECTED))


def test_lookups_of_every_type(dns_probe):
    assert dns_probe.lookup("www", "A").values == ["127.0.0.1", "127.0.0.2"]
    assert dns_probe.lookup("www.launch.test", "AAAA").values == ["::1"]
    assert dns_probe.lookup("api", "CNAME").values == ["www.launch.test."]
    assert dns_probe.lookup("@", "MX").values == ["10 mail.launch.test."]
    assert dns_probe.lookup("@", "NS").values == ["ns1.launch.test.", "ns2.launch.test."]
    assert dns_probe.lookup("@", "SOA").values[0].startswith("ns1.launch.test. hostmaster.launch.test. 2024060101")
    assert 'v=spf1 mx ip4:127.0.0.1 -all' in dns_probe.lookup("@", "TXT").values
    assert dns_probe.lookup("@", "CAA").values == ['0 iodef "mailto:security@launch.test"', '0 issue "letsencrypt.org"']
    assert dns_probe.lookup("www", "A").ttl == 300


def test_missing_name_and_missing_type_have_no_values(dns_probe):
    nx = dns_probe.lookup("nothing-here", "A")
    assert (nx.values, nx.status) == ([], "nxdomain")
    no_answer = dns_probe.lookup("bare", "MX")
    assert (no_answer.values, no_answer.status) == ([], "noanswer")


def test_expected_records_match(dns_probe):
    assert dns_probe.expected_problems() == []


def test_expected_records_mismatch_is_reported(dns_probe):
    problems = dns_probe.expected_problems({"www": {"A": ["127.0.0.1", "127.0.0.9"]}, "gone": {"A": ["127.0.0.1"]}})
    assert problems == [
        "www.launch.test. A: expected 127.0.0.1, 127.0.0.9; found 127.0.0.1, 127.0.0.2 (missing 127.0.0.9) "
        "(unexpected 127.0.0.2)",
        "gone.launch.test. A: expected 127.0.0.1; found nxdomain (missing 127.0.0.1)",
    ]


def test_no_expected_records_is_a_problem_not_a_pass(bind9_testbed):
    probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=bind9_testbed.addresses[:1]))
    assert probe.expected_problems() == ["no expected records to compare: [dns] expected is empty"]


def test_soa_serials_agree(dns_probe, bind9_testbed):
    serials = dns_probe.soa_serials()
    assert list(serials) == bind9_testbed.addresses
    assert len(set(serials.values())) == 1


def test_soa_serial_disagreement_is_found(dns_probe, bind9_serials_disagree):
    serials = dns_probe.soa_serials()
    assert sorted(serials.values()) == [2024060101, 2024060102]


def test_authoritative_servers_are_discovered_from_ns_records(bind9_testbed):
    probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=bind9_testbed.addresses[:1]))
    assert probe.authoritative_servers() == ["127.0.0.1", "127.0.0.1"]  # ns1 and ns2, resolved


def test_caa_names_the_issuer(dns_probe):
    assert dns_probe.caa_issuers() == ["letsencrypt.org"]
    assert dns_probe.caa_issuers("www") == ["letsencrypt.org"]  # inherited from the zone apex


def test_caa_problems(dns_probe):
    assert dns_probe.caa_problems(issuers=["letsencrypt.org"]) == []
    assert dns_probe.caa_problems(issuers=["pki.goog"]) == [
        "launch.test.: CAA does not allow pki.goog (allowed: letsencrypt.org)"]
    assert dns_probe.caa_problems(issuers=[]) == ["no CA to look for: set [dns] caa_issuers"]


def test_spf_and_dmarc_well_formed(dns_probe):
    assert dns_probe.spf().well_formed
    dmarc = dns_probe.dmarc()
    assert dmarc.well_formed and dmarc.records == ["v=DMARC1; p=reject; rua=mailto:dmarc@launch.test"]


def test_spf_and_dmarc_problems_are_found(dns_probe):
    spf = dns_probe.spf("broken")
    assert not spf.well_formed
    assert "2 SPF records: exactly one is allowed" in spf.problems
    assert "unknown SPF term 'ipv4:10.0.0.1' in 'v=spf1 ipv4:10.0.0.1 ~all'" in spf.problems
    dmarc = dns_probe.dmarc("broken")
    assert dmarc.problems == ["'v=DMARC1; p=maybe': p=maybe is not none, quarantine or reject"]
    assert not dns_probe.spf("bare").present and not dns_probe.dmarc("bare").present


def test_ttl_bounds(dns_probe):
    assert dns_probe.ttl_problems() == []
    problems = dns_probe.ttl_problems({"longttl": {"A": []}})
    assert problems == ["longttl.launch.test. A: TTL 604800s outside [60, 86400]"]


def test_timeout_names_the_query_and_server(silent_udp_port):
    probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=[f"127.0.0.1:{silent_udp_port}"], timeout=0.5))
    with pytest.raises(ProbeError, match=rf"www.launch.test. A: no answer from 127.0.0.1:{silent_udp_port} within 0.5s"):
        probe.lookup("www", "A")


def test_refusing_server_is_an_error(bind9_testbed):
    probe = DnsProbe(DnsSettings(nameservers=bind9_testbed.addresses[:1], timeout=2))
    with pytest.raises(ProbeError, match=r"example.org. A: every nameserver failed"):
        probe.lookup("example.org.", "A")  # not its zone, no recursion: REFUSED


def test_unreachable_authoritative_server_fails_the_serial_check(dns_probe, bind9_testbed, silent_udp_port):
    with pytest.raises(ProbeError, match=rf"launch.test. SOA @127.0.0.1:{silent_udp_port}: no answer"):
        dns_probe.soa_serials(servers=[bind9_testbed.addresses[0], f"127.0.0.1:{silent_udp_port}"])


def test_evidence_is_recorded(bind9_testbed):
    recorded: dict = {}
    probe = DnsProbe(DnsSettings(zone="launch.test", nameservers=bind9_testbed.addresses[:1]), evidence=recorded.update)
    probe.lookup("www", "A")
    assert recorded["dns www.launch.test. A"]["values"] == ["127.0.0.1", "127.0.0.2"]


def test_settings_validation():
    with pytest.raises(ConfigError, match=r"expected nameservers as IP addresses"):
        build(DnsSettings, {"nameservers": ["ns1.example.com"]}, "env.toml", "dns")
    with pytest.raises(ConfigError, match=r"a valid A record in expected.www"):
        build(DnsSettings, {"expected": {"www": {"A": ["not-an-ip"]}}}, "env.toml", "dns")
    with pytest.raises(ConfigError, match=r"ttl_min <= ttl_max"):
        build(DnsSettings, {"ttl_min": 10, "ttl_max": 5}, "env.toml", "dns")


@pytest.mark.parametrize(("record", "problem"), [
    ("v=spf1 +all", "'+all' lets every server send mail"),
    ("v=spf1 -all mx", "terms after '-all' are never used"),
    ("v=spf1 ip4:300.1.1.1 -all", "bad ip4 address '300.1.1.1'"),
])
def test_spf_syntax(record, problem):
    assert any(problem in p for p in spf_problems([record]))


def test_dmarc_syntax():
    assert dmarc_problems(["v=DMARC1; p=none; pct=50; rua=mailto:a@b.c"]) == []
    assert any("must follow" in p for p in dmarc_problems(["v=DMARC1; rua=mailto:a@b.c; p=none"]))
