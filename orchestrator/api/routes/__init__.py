"""One router per concept; `orchestrator.api.app.create_app` mounts them all."""
