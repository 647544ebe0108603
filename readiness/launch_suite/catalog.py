"""Integrity of the book catalog (launch task 6.2.3): JSON Schema plus the referential rules
JSON Schema cannot express. Plain Python, used by the readiness data checks (DAT-02, RB-03).

    problems = catalog_problems(document, schema)   # [] when the catalog is sound
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema

_MAX_PROBLEMS = 20


def isbn13_valid(isbn: str) -> bool:
    """True for a 13-digit ISBN whose check digit is right."""
    if len(isbn) != 13 or not isbn.isdigit():
        return False
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(isbn[:12]))
    return (10 - total % 10) % 10 == int(isbn[12])


def schema_problems(document: Any, schema: dict[str, Any]) -> list[str]:
    """Every JSON Schema violation, as 'path: message' lines (at most 20)."""
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"{path}: {error.message}")
        if len(problems) >= _MAX_PROBLEMS:
            break
    return problems


def referential_problems(document: dict[str, Any]) -> list[str]:
    """Author ids exist, ISBN check digits are valid, ids and ISBNs are unique."""
    problems: list[str] = []
    authors = document.get("authors") or []
    books = document.get("books") or []
    author_ids = [a.get("id") for a in authors if isinstance(a, dict)]
    known_authors = set(author_ids)
    for value, count in Counter(author_ids).items():
        if count > 1:
            problems.append(f"authors: id {value!r} appears {count} times")
    for what in ("id", "isbn"):
        values = [b.get(what) for b in books if isinstance(b, dict)]
        for value, count in Counter(values).items():
            if count > 1:
                problems.append(f"books: {what} {value!r} appears {count} times")
    for index, book in enumerate(books):
        if not isinstance(book, dict):
            continue
        label = f"books/{index} ({book.get('id')})"
        isbn = book.get("isbn")
        if isinstance(isbn, str) and not isbn13_valid(isbn):
            problems.append(f"{label}: ISBN {isbn!r} has a wrong check digit")
        for author in book.get("author_ids") or []:
            if author not in known_authors:
                problems.append(f"{label}: author id {author!r} does not exist")
    return problems[:_MAX_PROBLEMS]


def catalog_problems(document: Any, schema: dict[str, Any]) -> list[str]:
    """Schema violations first; referential rules only on a document the schema accepts."""
    problems = schema_problems(document, schema)
    if problems:
        return problems
    return referential_problems(document)


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
