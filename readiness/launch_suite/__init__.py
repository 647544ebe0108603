"""The readiness suite's own code, beside its checks (readiness/test_*.py import it plainly:
pytest puts readiness/ on sys.path when it loads readiness/conftest.py).

    launch_suite.settings   the suite's environment tables ([application], [security], ...),
                            registered through the pytest_launch_tables hook (readiness/conftest.py)
    launch_suite.catalog    the book catalog's integrity rules (JSON Schema + referential rules)
    launch_suite.checks     helpers the checks share ("not configured" skips, files relative to
                            the environment file, the catalog source)
"""
