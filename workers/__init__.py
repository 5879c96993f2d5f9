"""The daemon side of makima: worktrees, agent runtimes, verifiers. Imports schemas only."""
