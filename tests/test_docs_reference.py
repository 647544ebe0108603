"""docs/environment.md's reference of tables and keys is the one the code generates: a key added
to a settings dataclass without regenerating the page fails here."""

from __future__ import annotations

from pathlib import Path

from pytest_launch.config import tables
from pytest_launch.config.reference import BEGIN, END, table_reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "environment.md"


def test_the_documented_reference_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = text[text.index(BEGIN):text.index(END) + len(END)] + "\n"
    assert documented == table_reference(), (
        "docs/environment.md is out of date: regenerate its reference with "
        "`python -m pytest_launch.config.reference`")


def test_every_registered_table_is_documented() -> None:
    reference = table_reference()
    for name in [*tables.TABLES, *tables.FREE_FORM_TABLES]:
        assert f"### [{name}]" in reference
