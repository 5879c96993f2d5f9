"""First-run setup of a single-machine install: the local owner and its API key.

Keys are stored hashed, so the plaintext of the local key is kept in the state directory
(mode 0600) for `makima up` to print again on every start; deleting the file makes a new key.
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.db import session_scope
from orchestrator.errors import AuthError
from orchestrator.repository.owners import (
    authenticate,
    create_api_key,
    get_or_create_owner,
)

LOCAL_OWNER = "local"
KEY_FILE = "api-key"


def ensure_local_owner_key(database_url: str, state_dir: Path) -> str:
    """The local owner's API key: the saved one while it still works, else a new one."""
    key_path = Path(state_dir) / KEY_FILE
    with session_scope(database_url) as session:
        owner = get_or_create_owner(session, name=LOCAL_OWNER)
        if key_path.exists():
            token = key_path.read_text().strip()
            try:
                authenticate(session, token=token)
                return token
            except AuthError:
                pass
        _key, token = create_api_key(session, owner_id=owner.id, name="local (makima up)")
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token
