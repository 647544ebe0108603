"""pytest-launch: launch-readiness checks as pytest tests, with one go/no-go decision."""

__version__ = "0.1.0"
