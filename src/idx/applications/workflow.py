"""The application state machine: the only place that says which transition is allowed.

draft → submitted → in_review → correction_requested → resubmitted → in_review → approved / rejected;
the resident may withdraw any open application before a decision.
"""

from __future__ import annotations

from enum import StrEnum

from idx.applications.models import Status
from idx.common.errors import DomainError


class Event(StrEnum):
    SUBMIT = "submit"
    START_REVIEW = "start_review"
    REQUEST_CORRECTION = "request_correction"
    RESUBMIT = "resubmit"
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


class Actor(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"


# (event) -> (who may trigger it, statuses it may start from, status it leads to)
TRANSITIONS: dict[Event, tuple[Actor, frozenset[Status], Status]] = {
    Event.SUBMIT: (Actor.RESIDENT, frozenset({Status.DRAFT}), Status.SUBMITTED),
    Event.START_REVIEW: (Actor.STAFF, frozenset({Status.SUBMITTED, Status.RESUBMITTED}), Status.IN_REVIEW),
    Event.REQUEST_CORRECTION: (
        Actor.STAFF,
        frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.RESUBMITTED}),
        Status.CORRECTION_REQUESTED,
    ),
    Event.RESUBMIT: (Actor.RESIDENT, frozenset({Status.CORRECTION_REQUESTED}), Status.RESUBMITTED),
    Event.APPROVE: (Actor.STAFF, frozenset({Status.IN_REVIEW, Status.RESUBMITTED}), Status.APPROVED),
    Event.REJECT: (Actor.STAFF, frozenset({Status.IN_REVIEW, Status.RESUBMITTED}), Status.REJECTED),
    Event.WITHDRAW: (
        Actor.RESIDENT,
        frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.CORRECTION_REQUESTED, Status.RESUBMITTED}),
        Status.WITHDRAWN,
    ),
}


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409
    message = "'%(event)s' is not possible while the status is '%(status)s'."

    def __init__(self, event: Event, status: str):
        super().__init__(
            f"{event} is not allowed from {status}", params={"event": f"{event}", "status": f"{status}"}
        )
        self.event = event
        self.status = status


def next_status(event: Event, current: str, actor: Actor) -> Status:
    allowed_actor, sources, target = TRANSITIONS[event]
    if actor != allowed_actor or current not in sources:
        raise InvalidTransition(event, current)
    return target


def allowed_events(current: str, actor: Actor) -> list[Event]:
    return [
        event
        for event, (allowed_actor, sources, _target) in TRANSITIONS.items()
        if allowed_actor == actor and current in sources
    ]
