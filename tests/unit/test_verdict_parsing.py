"""Reading an evaluator agent's verdict: submitted through the API or in its last message."""

from __future__ import annotations

import json

from orchestrator.models import Task
from orchestrator.phases.evaluation import parse_verdict
from schemas.enums import ErrorKind
from schemas.statuses import TaskStatus

VERDICT = {
    "passed": True,
    "overall_score": 0.9,
    "confidence": 0.8,
    "criteria": [{"criterion": "has tests", "passed": True, "evidence": "tests/test_x.py"}],
    "summary": "good",
    "rework_instructions": None,
}


def _task(status: TaskStatus = TaskStatus.DONE, **result: object) -> Task:
    return Task(status=status, result=dict(result), error_kind=None, error_detail=None)


def test_a_submitted_verdict_wins() -> None:
    verdict, problem = parse_verdict(_task(verdict=VERDICT, result_text="whatever"))
    assert problem is None and verdict is not None and verdict.overall_score == 0.9


def test_the_last_json_object_of_the_final_message_is_the_verdict() -> None:
    text = 'Here is my draft {"passed": false} and the final answer:\n' + json.dumps(VERDICT)
    verdict, problem = parse_verdict(_task(result_text=text))
    assert problem is None and verdict is not None and verdict.passed is True
    assert verdict.criteria[0].evidence == "tests/test_x.py"


def test_garbage_is_an_evaluator_failure_with_a_reason() -> None:
    verdict, problem = parse_verdict(_task(result_text="LGTM!"))
    assert verdict is None and problem == "the evaluator's answer held no JSON verdict"
    verdict, problem = parse_verdict(_task(result_text='{"passed": "maybe"}'))
    assert verdict is None and problem is not None and problem.startswith("invalid verdict")


def test_a_failed_evaluator_task_is_an_evaluator_failure() -> None:
    task = Task(
        status=TaskStatus.FAILED,
        result={},
        error_kind=ErrorKind.AGENT_ERROR,
        error_detail="API error 500",
    )
    verdict, problem = parse_verdict(task)
    assert verdict is None and problem == "evaluator task failed: API error 500"
