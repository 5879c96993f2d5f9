"""The evaluation decision: score, colour and what happens to the step."""

from __future__ import annotations

import pytest

from orchestrator.decisions import (
    UNCHECKED_CONFIDENCE,
    Decision,
    Thresholds,
    colour_of,
    decide,
    decide_evaluator_failure,
    score_result,
)
from schemas.enums import AutonomyLevel, EvaluationColor, EvaluatorFailurePolicy
from schemas.evaluations import Verdict
from schemas.messages import VerifierResult

T = Thresholds(green=0.8, yellow=0.5)


def _check(exit_code: int | None, *, timed_out: bool = False) -> VerifierResult:
    return VerifierResult(
        name="pytest",
        command=("pytest", "-q"),
        exit_code=exit_code,
        duration_seconds=1.0,
        output_tail="1 failed" if exit_code else "1 passed",
        timed_out=timed_out,
    )


def _verdict(passed: bool, score: float, confidence: float = 0.9) -> Verdict:
    return Verdict(
        passed=passed,
        overall_score=score,
        confidence=confidence,
        summary="looks fine" if passed else "misses the point",
        rework_instructions=None if passed else "handle the empty input",
    )


def test_failing_tests_make_the_step_red_whatever_the_evaluator_says() -> None:
    score = score_result([_check(0), _check(1)], _verdict(True, 1.0), thresholds=T)
    assert score.score == 0.0
    assert colour_of(score.score, T) is EvaluationColor.RED
    assert score.feedback is not None and "pytest -q" in score.feedback
    assert "1 failed" in score.feedback


def test_a_timed_out_check_fails() -> None:
    score = score_result([_check(None, timed_out=True)], None, thresholds=T)
    assert score.score == 0.0
    assert score.feedback is not None and "timed out" in score.feedback


def test_passing_checks_without_evaluator_are_green() -> None:
    score = score_result([_check(0)], None, thresholds=T)
    assert (score.score, score.confidence) == (1.0, 1.0)
    assert colour_of(score.score, T) is EvaluationColor.GREEN


def test_nothing_checked_is_yellow_with_low_confidence() -> None:
    score = score_result([], None, thresholds=T)
    assert colour_of(score.score, T) is EvaluationColor.YELLOW
    assert score.confidence == UNCHECKED_CONFIDENCE


def test_the_verdict_scores_when_checks_pass() -> None:
    score = score_result([_check(0)], _verdict(True, 0.6, 0.7), thresholds=T)
    assert (score.score, score.confidence) == (0.6, 0.7)
    assert colour_of(score.score, T) is EvaluationColor.YELLOW


def test_a_failed_verdict_is_red_even_with_a_high_score() -> None:
    score = score_result([_check(0)], _verdict(False, 0.95), thresholds=T)
    assert colour_of(score.score, T) is EvaluationColor.RED
    assert score.feedback == "handle the empty input"


@pytest.mark.parametrize(
    ("colour", "autonomy", "reworks", "expected"),
    [
        (EvaluationColor.GREEN, AutonomyLevel.GUIDED, 0, Decision.PASS),
        (EvaluationColor.GREEN, AutonomyLevel.FULL_AUTO, 0, Decision.PASS),
        (EvaluationColor.GREEN, AutonomyLevel.MANUAL, 0, Decision.ASK),
        (EvaluationColor.YELLOW, AutonomyLevel.FULL_AUTO, 0, Decision.PASS),
        (EvaluationColor.YELLOW, AutonomyLevel.GUIDED, 0, Decision.ASK),
        (EvaluationColor.YELLOW, AutonomyLevel.MANUAL, 0, Decision.ASK),
        (EvaluationColor.RED, AutonomyLevel.FULL_AUTO, 0, Decision.REWORK),
        (EvaluationColor.RED, AutonomyLevel.GUIDED, 2, Decision.REWORK),
        (EvaluationColor.RED, AutonomyLevel.GUIDED, 3, Decision.FAIL),
    ],
)
def test_decide(
    colour: EvaluationColor, autonomy: AutonomyLevel, reworks: int, expected: Decision
) -> None:
    assert decide(colour, autonomy=autonomy, rework_count=reworks, max_rework_cycles=3) is expected


def test_colour_boundaries_are_inclusive() -> None:
    assert colour_of(0.8, T) is EvaluationColor.GREEN
    assert colour_of(0.5, T) is EvaluationColor.YELLOW
    assert colour_of(0.4999, T) is EvaluationColor.RED


def test_evaluator_failure_policy() -> None:
    assert decide_evaluator_failure(EvaluatorFailurePolicy.PASS) is Decision.PASS
    assert decide_evaluator_failure(EvaluatorFailurePolicy.ASK) is Decision.ASK
    assert decide_evaluator_failure(EvaluatorFailurePolicy.FAIL) is Decision.FAIL
