"""Build typed settings dataclasses from parsed TOML, with one clear error per mistake.

A settings table is described by a dataclass: its fields are the known keys, their type hints
the expected types, and a field without a default is required. `build` checks unknown keys
(with a "did you mean"), missing keys and wrong types, and names file, key, expected and found.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any, TypeVar, Union
from urllib.parse import urlsplit

from pytest_launch.core.errors import ConfigError, describe, did_you_mean
from pytest_launch.core.redact import Redactor

T = TypeVar("T")

_TYPE_WORDS = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dt.date: "a date (YYYY-MM-DD)",
    dt.datetime: "a date-time",
}


def expected_words(tp: Any) -> str:
    """How a type is described to a user in an error message."""
    origin = typing.get_origin(tp)
    if tp in _TYPE_WORDS:
        return _TYPE_WORDS[tp]
    if tp is Any:
        return "any value"
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return " or ".join(expected_words(a) for a in args)
    if origin is list:
        (inner,) = typing.get_args(tp) or (Any,)
        return f"a list of {_plural(expected_words(inner))}"
    if origin is dict:
        _, inner = typing.get_args(tp) or (str, Any)
        return f"a table of {_plural(expected_words(inner))}"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if dataclasses.is_dataclass(tp):
        return "a table"
    return getattr(tp, "__name__", str(tp))


def _plural(words: str) -> str:
    for article in ("a ", "an "):
        if words.startswith(article):
            words = words[len(article):]
    return words if words.endswith("s") else words + "s"


def build(cls: type[T], data: Any, file: str, key: str) -> T:
    """An instance of the dataclass `cls` from the TOML table `data` found at `key` in `file`."""
    if not isinstance(data, dict):
        raise ConfigError(file, key, "a table", describe(data))
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}  # type: ignore[arg-type]
    for name in data:
        if name not in fields:
            raise ConfigError(
                file, _join(key, name), f"one of the keys of [{key}]", "an unknown key",
                did_you_mean(name, fields),
            )
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in data:
            values[name] = convert(hints[name], data[name], file, _join(key, name))
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(file, _join(key, name), expected_words(hints[name]), "nothing (it is required)")
    instance = cls(**values)
    check = getattr(instance, "validate", None)
    if callable(check):
        problem = check()
        if problem:
            raise ConfigError(file, key, problem[0], problem[1])
    return instance


def convert(tp: Any, value: Any, file: str, key: str) -> Any:
    """`value` checked against (and built into) the type `tp`."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return convert(option, value, file, key)
            except ConfigError:
                continue
        raise ConfigError(file, key, expected_words(tp), describe(value))
    if origin is typing.Literal:
        if value in typing.get_args(tp):
            return value
        raise ConfigError(file, key, expected_words(tp), describe(value),
                          did_you_mean(str(value), [str(a) for a in typing.get_args(tp)]))
    if origin is list:
        (inner,) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            raise ConfigError(file, key, expected_words(tp), describe(value))
        return [convert(inner, v, file, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, inner = typing.get_args(tp) or (str, Any)
        if not isinstance(value, dict):
            raise ConfigError(file, key, expected_words(tp), describe(value))
        return {k: convert(inner, v, file, _join(key, k)) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return build(tp, value, file, key)  # type: ignore[arg-type]
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is dt.date:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
    elif isinstance(tp, type) and isinstance(value, tp):
        return value
    raise ConfigError(file, key, expected_words(tp), describe(value))


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


class Table:
    """Base for settings dataclasses: also readable mapping-style, `table["key"]`."""

    def __getitem__(self, key: str) -> Any:
        if key in {f.name for f in dataclasses.fields(self)}:  # type: ignore[arg-type]
            return getattr(self, key)
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def only_tables(data: dict[str, Any], file: str, allowed: dict[str, type[Any] | None], expected: str,
                arrays: bool = False) -> None:
    """ConfigError for the first top-level name of `data` that is not one of `allowed` (table
    name -> its dataclass, or None): a misspelt table ("did you mean") or a key outside any table
    ("move it under [table]" when it is a key of one), which would otherwise be silently ignored."""
    for name, value in data.items():
        if name in allowed:
            continue
        is_table = isinstance(value, dict) or (isinstance(value, list) and bool(value)
                                               and all(isinstance(v, dict) for v in value))
        hint = did_you_mean(name, allowed)
        if not is_table and hint is None:
            owners = [table for table, cls in allowed.items() if cls is not None and dataclasses.is_dataclass(cls)
                      and name in {f.name for f in dataclasses.fields(cls)}]
            shown = [f"[[{table}]]" if arrays else f"[{table}]" for table in owners]
            if len(shown) == 1:
                hint = f"a key of {shown[0]}: move it under that table"
            elif shown:
                hint = f"keys belong under a table; {', '.join(shown[:6])}{', ...' if len(shown) > 6 else ''} " \
                       f"have a key {name!r}"
        found = "an unknown table" if is_table else "a key outside any table"
        raise ConfigError(file, name, expected, found, hint)


def http_url_problem(name: str, value: str | None) -> tuple[str, str] | None:
    """The one "http(s) URL" rule of every settings table, as a validate() problem (None when
    `value` is None or an http:// or https:// URL with a host). The value is shown without its
    userinfo and with credential patterns masked."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    shown = value
    if "@" in parts.netloc:
        shown = value.replace(parts.netloc, "***@" + parts.netloc.rsplit("@", 1)[-1], 1)
    return (f"{name} to be an http:// or https:// URL with a host", repr(Redactor(()).text(shown)))
