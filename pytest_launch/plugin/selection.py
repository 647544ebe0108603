"""The scope of a run, from the facts pytest gives: which phases `-m` selects, and whether the
selection is narrower than whole phases (a partial run).

Computed once, on the process that decides, and stored in the results document (`run.scope_phases`,
`run.partial`), so that the pure `decide` (and `launch-report merge`) judge the scope from stored
facts only. The phase terms of `-m` are read with pytest's own expression machinery: the
expression is evaluated for each phase against every combination of its other terms, so
`-m "t_minus_7 or t_0"` selects two whole phases, `-m "not t_0"` the other two, and
`-m "t_minus_7 and security"` only part of one (partial).
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
from _pytest.mark.expression import Expression

from pytest_launch.core.vocabulary import PHASES

# more non-phase terms than this in -m: not enumerated, the run counts as partial (fail-safe)
_MAX_TERMS = 12


@dataclasses.dataclass
class Selection:
    phases: list[str]  # the phases in scope, in PHASES order
    partial: list[str]  # why the selection is narrower than whole phases; empty: it is not
    paths_narrowed: bool  # only some files or node ids were collected


def phases_of_markexpr(markexpr: str) -> tuple[list[str], list[str]]:
    """(phases in scope, phases only partly selected) for a -m expression."""
    if not markexpr.strip():
        return list(PHASES), []
    expression = Expression.compile(markexpr)
    terms = sorted(set(expression.idents()) - set(PHASES))
    in_scope: list[str] = []
    narrowed: list[str] = []
    for phase in PHASES:
        results = set()
        if len(terms) > _MAX_TERMS:
            results = {True, False}
        else:
            for values in itertools.product((False, True), repeat=len(terms)):
                present = {phase, *(t for t, v in zip(terms, values) if v)}

                def matcher(name: str, /, **kwargs: object) -> bool:
                    # a marker with arguments (owner(name="x")) matches only some checks
                    return name in present and not kwargs  # noqa: B023 - called at once, inside this iteration
                results.add(expression.evaluate(matcher))
                if len(results) == 2:
                    break
        if True in results:
            in_scope.append(phase)
            if False in results:
                narrowed.append(phase)
    return in_scope, narrowed


def _covers(folder: Path, target: Path) -> bool:
    return target == folder or folder in target.parents


def narrowed_paths(config: pytest.Config) -> list[str]:
    """The command-line paths or node ids that collect less than the whole suite (the configured
    testpaths, else the invocation folder); naming the testpaths, or a folder holding them all, is
    not narrowing."""
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return []
    base = Path(config.invocation_params.dir)
    testpaths = [str(p) for p in config.getini("testpaths")]
    targets: list[Path] = []
    for pattern in testpaths:
        found = sorted(config.rootpath.glob(pattern)) if any(c in pattern for c in "*?[") else [
            config.rootpath / pattern]
        targets += [p.resolve() for p in found]
    if not targets:
        targets = [base.resolve()]
    folders: list[Path] = []
    narrow: list[str] = []
    for arg in config.args:
        path = Path(arg.split("::", 1)[0])
        path = (path if path.is_absolute() else base / path).resolve()
        if "::" in arg or not path.is_dir():
            narrow.append(arg)
        else:
            folders.append(path)
    if not narrow and all(any(_covers(f, t) for f in folders) for t in targets):
        return []
    return narrow or [a for a in config.args]


def run_selection(config: pytest.Config) -> Selection:
    """The scope facts known before collection."""
    option = config.option
    markexpr = option.markexpr or ""
    partial: list[str] = []
    try:
        phases, narrowed = phases_of_markexpr(markexpr)
    except SyntaxError:  # pytest stops the run with its own usage error
        phases, narrowed = list(PHASES), list(PHASES)
    if option.keyword:
        partial.append(f"-k {option.keyword}")
    if narrowed:
        partial.append(f"-m {markexpr} selects only part of {', '.join(narrowed)}")
    paths = narrowed_paths(config)
    if paths:
        partial.append("only " + ", ".join(paths) + " named on the command line")
    if getattr(option, "deselect", None):
        partial.append(f"--deselect {', '.join(option.deselect)}")
    ignored = list(getattr(option, "ignore", None) or []) + list(getattr(option, "ignore_glob", None) or [])
    if ignored:
        partial.append(f"--ignore {', '.join(str(i) for i in ignored)}")
    if getattr(option, "lf", False):
        partial.append("--lf (only the checks that failed last time)")
    if getattr(option, "stepwise", False) or getattr(option, "stepwise_skip", False):
        partial.append("--sw (stepwise)")
    return Selection(phases=phases, partial=partial, paths_narrowed=bool(paths or ignored))


def may_stop_early(config: pytest.Config) -> bool:
    """-x / --maxfail: the run is complete only if it did not stop."""
    return bool(getattr(config.option, "maxfail", 0))


def stopped_early(config: pytest.Config, session: pytest.Session) -> str | None:
    """Why a -x / --maxfail run stopped before the end, or None."""
    reason = session.shouldfail or session.shouldstop
    if reason and may_stop_early(config):
        return f"stopped early ({reason}; -x/--maxfail={config.option.maxfail})"
    return None


def report_subfolder(selection_phases: list[str], stage: int | None, partial: bool) -> str:
    """Where the run's report goes under reports/<env>/: partial, t_0/stage-<N>, the phase, or
    several phases joined by '+' ('all' for every phase)."""
    if partial:
        return "partial"
    if stage is not None:
        return f"t_0/stage-{stage}"
    phases = [p for p in PHASES if p in selection_phases]
    if phases == list(PHASES):
        return "all"
    return "+".join(phases) or "none"
