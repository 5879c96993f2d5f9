"""The completion phase. Its decisions arrive with the directive-lifecycle work (issues 4 and 5);
until then the entry point only claims nothing and reports that it ran."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def complete_directive(session: Session, *, directive_id: uuid.UUID) -> None:
    log.debug("completion phase for %s: nothing to do yet", directive_id)
