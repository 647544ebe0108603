"""The TLS probe against real nginx servers on loopback (certificates from a trustme CA)."""

from __future__ import annotations

import pytest

from pytest_launch.probes.errors import NoAnswer, ProbeError
from pytest_launch.probes.tls import (
    ACCEPTED,
    REFUSED,
    UNTESTABLE,
    TlsEndpoint,
    TlsProbe,
    TlsSettings,
    hostname_matches,
    local_protocol_support,
    parse_endpoint,
)


@pytest.fixture
def tls(nginx_testbed) -> TlsProbe:
    return TlsProbe(TlsSettings(ca_bundle=str(nginx_testbed.ca_bundle), timeout=3))


def endpoint(nginx_testbed, case: str) -> TlsEndpoint:
    return TlsEndpoint("localhost", nginx_testbed.ports[case], address="127.0.0.1")


def test_good_certificate_is_described_and_verifies(tls, nginx_testbed):
    result = tls.probe(endpoint(nginx_testbed, "good"))
    assert result.verified, result.verify_error
    assert result.hostname_matches
    assert not result.missing_intermediate
    assert 360 <= result.days_left <= 365
    assert result.leaf.sans == ["localhost", "127.0.0.1"]
    assert len(result.chain) == 2  # leaf + intermediate, as presented
    assert result.intermediates[0].is_ca
    assert result.min_days_left > 300  # the intermediate's days count too
    assert result.leaf.key_type == "EC (secp256r1)" and result.leaf.key_size == 256
    assert result.leaf.signature_algorithm == "ecdsa-with-SHA256"
    assert result.protocol in ("TLSv1.2", "TLSv1.3")
    assert "pytest-launch test root" in result.intermediates[0].issuer
    assert result.ocsp_staple is None and result.ocsp_staple_status.startswith(UNTESTABLE)


def test_expired_certificate_is_found(tls, nginx_testbed):
    result = tls.probe(endpoint(nginx_testbed, "expired"))
    assert not result.verified
    assert "expired" in result.verify_error
    assert result.days_left < 0


def test_expiring_certificate_has_about_ten_days_left(tls, nginx_testbed):
    result = tls.probe(endpoint(nginx_testbed, "expiring"))
    assert result.verified
    assert result.days_left in (9, 10)
    problems = tls.days_left_problems(30, [endpoint(nginx_testbed, "expiring")])
    assert len(problems) == 1 and "expires in 9 days" in problems[0] and "at least 30" in problems[0]


def test_hostname_mismatch_is_found(tls, nginx_testbed):
    result = tls.probe(endpoint(nginx_testbed, "wrong_host"))
    assert result.verified  # the chain itself is fine
    assert not result.hostname_matches
    assert result.leaf.sans == ["wrong.example.test"]


def test_missing_intermediate_is_found(tls, nginx_testbed):
    result = tls.probe(endpoint(nginx_testbed, "no_intermediate"))
    assert not result.verified
    assert result.missing_intermediate
    assert len(result.chain) == 1


def test_untrusted_root_is_not_called_a_missing_intermediate(nginx_testbed):
    probe = TlsProbe(TlsSettings(timeout=3))  # system trust store: the test root is unknown
    result = probe.probe(endpoint(nginx_testbed, "good"))
    assert not result.verified
    assert not result.missing_intermediate


def test_protocol_versions(tls, nginx_testbed):
    modern = tls.protocols(endpoint(nginx_testbed, "good"))
    assert modern["TLSv1.2"] == ACCEPTED and modern["TLSv1.3"] == ACCEPTED
    support = local_protocol_support()
    for old in ("TLSv1", "TLSv1.1"):
        if support[old] is True:
            assert modern[old] == REFUSED
        else:
            assert modern[old].startswith(UNTESTABLE)  # never "refused" when we cannot tell


def test_legacy_protocols_are_found_accepted(tls, nginx_testbed):
    support = local_protocol_support()
    if not nginx_testbed.legacy_protocols_served or support["TLSv1"] is not True:
        pytest.skip(f"the local OpenSSL cannot serve or speak TLS 1.0 here: {support['TLSv1']}")
    legacy = tls.protocols(endpoint(nginx_testbed, "legacy"))
    assert legacy["TLSv1"] == ACCEPTED and legacy["TLSv1.1"] == ACCEPTED and legacy["TLSv1.2"] == ACCEPTED
    assert legacy["TLSv1.3"] == REFUSED


def test_connection_refused_names_the_target(tls, closed_port):
    with pytest.raises(ProbeError, match=rf"localhost:{closed_port} \(at 127.0.0.1\): connection refused"):
        tls.probe(TlsEndpoint("localhost", closed_port, address="127.0.0.1"))


def test_silent_server_times_out_within_the_timeout(silent_server):
    probe = TlsProbe(TlsSettings(timeout=0.5))
    with pytest.raises(ProbeError, match=r"no TLS handshake within 0.5s"):
        probe.probe(TlsEndpoint("localhost", silent_server.port, address="127.0.0.1"))


def test_protocols_never_turn_a_connection_failure_into_refused(tls, closed_port):
    with pytest.raises(ProbeError, match="connection refused"):
        tls.protocols(TlsEndpoint("localhost", closed_port, address="127.0.0.1"))


def test_fan_out_reports_every_endpoint(tls, nginx_testbed, closed_port):
    targets = [endpoint(nginx_testbed, c) for c in ("good", "expired", "wrong_host")]
    targets.append(TlsEndpoint("localhost", closed_port, address="127.0.0.1"))
    outcomes = tls.probe_many(targets, max_workers=4)
    assert [o.target for o in outcomes] == targets
    assert [o.ok for o in outcomes] == [True, True, True, False]
    assert "connection refused" in str(outcomes[3].error)


def test_days_left_problems_pass_and_fail(tls, nginx_testbed, closed_port):
    assert tls.days_left_problems(30, [endpoint(nginx_testbed, "good")]) == []
    problems = tls.days_left_problems(30, [endpoint(nginx_testbed, c) for c in ("good", "expired", "wrong_host")])
    text = "\n".join(problems)
    assert "expired" in text and "does not name localhost" in text


def test_an_endpoint_with_no_answer_is_an_error_even_beside_wrong_answers(tls, nginx_testbed, closed_port):
    """One meaning for "no answer": NoAnswer (the check errors), never a problem line (a failure
    a waiver could accept); what the other endpoints answered wrongly is still named."""
    with pytest.raises(NoAnswer) as raised:
        tls.days_left_problems(30, [endpoint(nginx_testbed, c) for c in ("good", "expired")]
                               + [TlsEndpoint("localhost", closed_port, address="127.0.0.1")])
    text = str(raised.value)
    assert "connection refused" in text and "expired" in text


def test_no_endpoints_is_a_problem_not_a_pass():
    assert TlsProbe(TlsSettings()).days_left_problems(30) == ["no TLS endpoints to check: [tls] endpoints is empty"]


def test_evidence_is_recorded(nginx_testbed):
    recorded: dict = {}
    probe = TlsProbe(TlsSettings(ca_bundle=str(nginx_testbed.ca_bundle)), evidence=recorded.update)
    probe.probe(endpoint(nginx_testbed, "expiring"))
    (key, values), = recorded.items()
    assert key == f"tls localhost:{nginx_testbed.ports['expiring']}"
    assert values["days_left"] in (9, 10) and values["verified"] is True


@pytest.mark.parametrize(("text", "host", "port"), [
    ("example.com", "example.com", 443), ("example.com:8443", "example.com", 8443), ("[::1]:8443", "::1", 8443),
])
def test_parse_endpoint(text, host, port):
    assert parse_endpoint(text) == TlsEndpoint(host, port)


@pytest.mark.parametrize(("host", "sans", "expected"), [
    ("www.example.com", ["*.example.com"], True),
    ("a.b.example.com", ["*.example.com"], False),
    ("example.com", ["*.example.com"], False),
    ("EXAMPLE.com", ["example.com"], True),
    ("127.0.0.1", ["127.0.0.1"], True),
    ("127.0.0.1", ["localhost"], False),
])
def test_hostname_matching(host, sans, expected):
    assert hostname_matches(host, sans) is expected
