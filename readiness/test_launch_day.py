"""Launch day, one traffic step at a time (PRODUCT §1, §4; issue 6).

    pytest readiness -m t_0 --env=prod --launch-stage=25 --launch-gate

gives PROCEED, HOLD or ROLLBACK for that step. The checks are generated from the
environment's [rollout] table by pytest_launch.plugin.stage_checks: one per go criterion and one per
rollback trigger of the stage, each reporting its query, window, measured value, threshold
and result. Without --launch-stage they are listed, and each errors "run with --launch-stage N"
(not evaluated: missing evidence).
"""

from pytest_launch.plugin.stage_checks import assert_stage_check


def test_rollout_stage(launch_stage_verdict):
    assert_stage_check(launch_stage_verdict)
