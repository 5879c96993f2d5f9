"""One module per orchestration phase, each with one obvious entry point.

planning.plan_directive, execution.dispatch_ready_steps, monitoring.record_task_update /
monitoring.monitor_directive, evaluation.evaluate_directive, replanning.replan_directive,
completion.complete_directive. Each takes ids, claims its rows and is idempotent.
"""
