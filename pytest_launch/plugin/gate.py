"""--launch-gate never exits 0 without a decision: modes that run no check are usage errors,
the part of the plugin that decides cannot be switched off, and a gate run that ends without a
decision for any other reason ends with pytest's "internal error" code, never 0 or 1."""

from __future__ import annotations

import pytest

CONTROLLER_NAME = "launch-controller"  # the plugin object that decides and sets the gate's exit code

# pytest modes that list, plan or describe instead of running checks: option dest -> flag
NO_RUN_MODES: dict[str, str] = {
    "collectonly": "--collect-only/--co",
    "setuponly": "--setup-only",
    "setupplan": "--setup-plan",
    "showfixtures": "--fixtures",
    "show_fixtures_per_test": "--fixtures-per-test",
    "markers": "--markers",
    "help": "--help",
}  # (--version answers before any plugin is asked: it prints one line and exits 0)


def refuse_gate_without_checks(config: pytest.Config) -> None:
    """pytest.UsageError when --launch-gate comes with a mode in which no check runs."""
    if not getattr(config.option, "launch_gate", False):
        return
    modes = [flag for dest, flag in NO_RUN_MODES.items() if getattr(config.option, dest, False)]
    if modes:
        raise pytest.UsageError(
            f"--launch-gate with {', '.join(modes)}: no check runs in that mode, so there is no launch decision "
            f"for the gate to report; drop {'it' if len(modes) == 1 else 'them'} or drop --launch-gate")


def refuse_blocked_decision(config: pytest.Config) -> None:
    """pytest.UsageError when a deciding run blocks the plugin object that decides (-p no:launch-controller,
    on the command line or in PYTEST_ADDOPTS / addopts)."""
    if config.pluginmanager.is_blocked(CONTROLLER_NAME):
        raise pytest.UsageError(
            f"-p no:{CONTROLLER_NAME}: this part of pytest-launch makes the launch decision and sets the gate's "
            f"exit code; it cannot be disabled in a run that asks for a decision (--env, --launch-json or "
            f"--launch-gate). To run checks without a decision, drop those options.")


# the exit status the plugin settled a run on: (session, status)
_SETTLED_KEY = pytest.StashKey["tuple[pytest.Session, int]"]()


def settle_exit_status(session: pytest.Session, status: int) -> None:
    """Set the run's exit status to the one the plugin settled on (the gate's code for the
    verdict; 3 when there is no decision, or its report could not be written), now and again at
    the very end (`reassert_settled_status`): a session-finish hook that runs later, such as a
    conftest.py calling pytest.exit(returncode=0), does not turn it into another code."""
    session.exitstatus = status
    session.config.stash[_SETTLED_KEY] = (session, status)


def reassert_settled_status(config: pytest.Config) -> None:
    """The settled exit status, set once more at the end of pytest_unconfigure (pytest returns
    `session.exitstatus` after it, whatever the session-finish hooks raised)."""
    settled = config.stash.get(_SETTLED_KEY, None)
    if settled is not None:
        session, status = settled
        session.exitstatus = status


def gate_without_decision(session: pytest.Session) -> bool:
    """True (after saying why) when --launch-gate is about to exit 0 or 1 with no decision made:
    the exit status becomes 3 (the tool broke), never a verdict code."""
    config = session.config
    if not getattr(config.option, "launch_gate", False) or hasattr(config, "workerinput"):
        return False
    if int(session.exitstatus) not in (0, 1):
        return False
    controller = config.pluginmanager.get_plugin(CONTROLLER_NAME)
    if controller is not None and getattr(controller, "document", None) is not None:
        return False
    if controller is not None and getattr(controller, "pending", None) is not None:
        # being decided by a child while pytest prints its summary: the controller sets the
        # exit status once it is done, to the gate's code for the verdict or to 3 when no
        # decision came back (plugin/controller.py, wait_for_outputs)
        return False
    message = "pytest-launch: --launch-gate, but no launch decision was made in this run: exit code 3, not a verdict"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=True, bold=True)
    settle_exit_status(session, pytest.ExitCode.INTERNAL_ERROR)
    return True
