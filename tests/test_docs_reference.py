"""docs/environment.md's reference of tables and keys is the one the code generates: a key added
to a settings dataclass without regenerating the page fails here."""

from __future__ import annotations

from pathlib import Path

from launch_project import READINESS, SUITE_TABLES
from pytest_launch.config import tables
from pytest_launch.config.reference import BEGIN, END, table_reference, tables_of

DOC = Path(__file__).resolve().parent.parent / "docs" / "environment.md"
REGENERATE = "python -m pytest_launch.config.reference readiness/conftest.py > reference.md"


def test_the_documented_reference_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text[text.index(BEGIN):text.index(END) + len(END)] + "\n"
    assert documented == table_reference(tables_of(READINESS / "conftest.py")), (
        f"docs/environment.md is out of date: regenerate its reference with `{REGENERATE}`")


def test_every_registered_table_is_documented() -> None:
    """The built-in tables and those readiness/conftest.py adds through pytest_launch_tables."""
    reference = table_reference(tables_of(READINESS / "conftest.py"))
    for name in [*tables.TABLES, *tables.FREE_FORM_TABLES, *SUITE_TABLES]:
        assert f"### [{name}]" in reference


def test_the_generator_reads_the_tables_a_conftest_adds(tmp_path: Path) -> None:
    conftest = tmp_path / "conftest.py"
    conftest.write_text("import dataclasses\n\n\n@dataclasses.dataclass\nclass Queue:\n"
                        "    \"\"\"[queue]: the team's message queue.\"\"\"\n\n    url: str\n    depth_max: int = 100\n\n\n"
                        "def pytest_launch_tables():\n    return {\"queue\": Queue}\n")
    reference = table_reference(tables_of(conftest))
    assert "### [queue]\n\nThe team's message queue.\n" in reference
    assert "| `depth_max` |" in reference and "### [application]" not in reference
