"""pytest-launch: launch-readiness checks as pytest tests, with one go/no-go decision."""

__version__ = "0.2.0"  # tests/test_packaging.py holds it to pyproject.toml
