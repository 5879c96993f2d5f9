"""The `makima` command line: the API for people (tables) and for agents (`--json`).

One module per command group (`directive`, `approval`, `order`, `daemon`, `auth`, `db`,
`up`); `client` speaks HTTP, `output` prints, `inputs` reads and validates local input,
and `main` maps every error to one line on stderr and an exit code (see docs/cli.md).
"""
