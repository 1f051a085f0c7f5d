"""Background work of the hand-over (run by ``idx worker``): one task per target and purpose.

Both are idempotent: a run hands over only cases no run has handed over (and stops at once while
another run of the target is in progress); polling treats an acknowledgement already taken in as
done. ``idx handover run`` and ``idx handover acks`` do the same from cron or a systemd timer.
"""

from __future__ import annotations

from django_tasks import task


@task(queue_name="exports")  # builds the hand-over file
def handover_target_run(target_id: int, actor_id: int | None = None) -> str:
    """Run one target now; returns the run's status."""
    from idx.handover.models import HandoverTarget
    from idx.handover.services import HandoverBusy, handover_run
    from idx.identity.models import User

    target = HandoverTarget.objects.select_related("municipality", "procedure").filter(pk=target_id).first()
    if target is None or not target.active:
        return "skipped"
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return str(handover_run(target=target, actor=actor).status)
    except HandoverBusy:
        return "busy"


@task()
def handover_target_acks(target_id: int) -> str:
    """Take in the acknowledgements waiting at one target's destination."""
    from idx.handover.destinations import DeliveryError
    from idx.handover.models import HandoverTarget
    from idx.handover.services import handover_acks_poll

    target = HandoverTarget.objects.select_related("municipality", "procedure").filter(pk=target_id).first()
    if target is None:
        return "skipped"
    try:
        outcome = handover_acks_poll(target=target)
    except DeliveryError:
        return "unreachable"
    return f"{outcome.accepted} accepted, {len(outcome.rejected)} rejected"
