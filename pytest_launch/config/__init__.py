"""Loading and validating the files a launch team writes: environments, checklist, waivers,
sign-offs and policy. Every problem is one ConfigError naming file, key, expected and found."""

from pytest_launch.core.errors import ConfigError

__all__ = ["ConfigError"]
