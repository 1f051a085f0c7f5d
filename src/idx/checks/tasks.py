"""Background work of the automated checks (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_checks(application_id: int) -> str:
    """Run an application's checks after its (re)submission; running twice only replaces the results."""
    from idx.applications.models import NOT_OPEN, Application
    from idx.checks.services import application_checks_run

    application = (
        Application.objects.select_related("procedure_version", "municipality", "department")
        .filter(pk=application_id)
        .first()
    )
    if application is None or application.status in NOT_OPEN:
        return "skipped"
    run = application_checks_run(application=application)
    if run is None:
        return "no_checks"
    return "passed" if run.all_passed else "not_all_passed"
