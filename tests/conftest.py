"""The plugin's own tests: pytester for plugin behaviour, testbed/ for real servers."""

pytest_plugins = [
    "pytester",
    # test-bed plugins (real servers on loopback), one line each:
]
