"""Real servers on loopback for the plugin's own tests (nginx, bind9, Prometheus, Alertmanager,
moto, PostgreSQL). Each module is a pytest plugin listed in tests/conftest.py."""
