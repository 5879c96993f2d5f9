"""The evaluation decision, as pure functions: score → colour → what happens to the step.

- Failing verifiers make a step red whatever else says (tests are not negotiable).
- Without an evaluator agent, passing verifiers score 1.0 with confidence 1.0 when at least
  one verifier ran; when nothing could be checked at all, the score is the yellow
  threshold's floor with low confidence, so a person looks (unless autonomy is full_auto).
- With an evaluator verdict, the composite is the verdict's score (verifiers already
  passed) and the verdict's confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from schemas.enums import AutonomyLevel, EvaluationColor, EvaluatorFailurePolicy
from schemas.evaluations import Verdict
from schemas.messages import VerifierResult


class Decision(StrEnum):
    PASS = "pass"
    ASK = "ask"  # request a person's approval
    REWORK = "rework"
    FAIL = "fail"


@dataclass(frozen=True)
class Score:
    score: float
    confidence: float
    summary: str
    feedback: str | None


@dataclass(frozen=True)
class Thresholds:
    green: float
    yellow: float


UNCHECKED_CONFIDENCE = 0.3


def score_result(
    verifiers: Sequence[VerifierResult], verdict: Verdict | None, *, thresholds: Thresholds
) -> Score:
    failing = [v for v in verifiers if not v.passed]
    if failing:
        lines = [
            f"- `{' '.join(v.command)}` "
            + ("timed out" if v.timed_out else f"exited {v.exit_code}")
            + (f"; output tail:\n{v.output_tail[-1500:]}" if v.output_tail else "")
            for v in failing
        ]
        feedback = "These checks failed and must pass:\n" + "\n".join(lines)
        if verdict is not None and verdict.rework_instructions:
            feedback += "\n\nEvaluator's instructions:\n" + verdict.rework_instructions
        return Score(0.0, 1.0, f"{len(failing)} of {len(verifiers)} checks failed", feedback)
    if verdict is not None:
        advice = verdict.rework_instructions or (None if verdict.passed else verdict.summary)
        score = verdict.overall_score
        if not verdict.passed:  # a verdict that says "not passed" is red whatever its score
            score = min(score, max(0.0, thresholds.yellow - 0.01))
        return Score(score, verdict.confidence, verdict.summary, advice)
    if verifiers:
        return Score(1.0, 1.0, f"all {len(verifiers)} checks passed", None)
    return Score(
        thresholds.yellow,
        UNCHECKED_CONFIDENCE,
        "no checks ran: nothing verified the result",
        None,
    )


def colour_of(score: float, thresholds: Thresholds) -> EvaluationColor:
    if score >= thresholds.green:
        return EvaluationColor.GREEN
    if score >= thresholds.yellow:
        return EvaluationColor.YELLOW
    return EvaluationColor.RED


def decide(
    colour: EvaluationColor,
    *,
    autonomy: AutonomyLevel,
    rework_count: int,
    max_rework_cycles: int,
) -> Decision:
    """green → pass; yellow → pass under full_auto, else ask; red → rework while budget lasts.

    Under `manual` autonomy even green results wait for a person.
    """
    if colour is EvaluationColor.RED:
        return Decision.REWORK if rework_count < max_rework_cycles else Decision.FAIL
    if autonomy is AutonomyLevel.MANUAL:
        return Decision.ASK
    if colour is EvaluationColor.GREEN or autonomy is AutonomyLevel.FULL_AUTO:
        return Decision.PASS
    return Decision.ASK


def decide_evaluator_failure(policy: EvaluatorFailurePolicy) -> Decision:
    """What a broken evaluator (crash, garbage answer) means for the step: a directive setting."""
    return {
        EvaluatorFailurePolicy.PASS: Decision.PASS,
        EvaluatorFailurePolicy.ASK: Decision.ASK,
        EvaluatorFailurePolicy.FAIL: Decision.FAIL,
    }[policy]
