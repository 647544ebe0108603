"""The plugin's own tests: pytester for plugin behaviour, testbed/ for real servers."""

pytest_plugins = [
    "pytester",
    # test-bed plugins (real servers on loopback), one line each:
    "testbed.nginx",
    "testbed.bind9",
    "testbed.moto_s3",
    "testbed.prometheus",
    "testbed.alertmanager",
    "testbed.postgres",
    "testbed.cdn",
]
