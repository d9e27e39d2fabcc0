"""Background tasks of the diagnostic: sending many invitations at once."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from swim.diagnostic.actions import do_send_invitations, invitees_from
from swim.diagnostic.models import Round
from swim.jobs.models import Job
from swim.jobs.tasking import job_task


@job_task
def invite_many(
    job: Job, round_id: int, people: list[dict[str, Any]], base_url: str
) -> dict[str, Any]:
    """Create and email the invitations of checked ``people`` (``invitee_data``) in turn,
    reporting each on ``job``; its links start with ``base_url``.

    The result links to the invite page, which then lists the people not reached and puts
    their lines back in the box to send again.
    """
    diagnostic_round = Round.objects.get(pk=round_id)
    report = do_send_invitations(
        diagnostic_round,
        invitees_from(people),
        by=job.created_by,
        link_for=lambda token: base_url + reverse("diagnostic-invitation", args=[token]),
        progress=job.report,
    )
    job.message = report.in_brief()
    page = reverse("diagnostic-invite", args=[diagnostic_round.pk])
    return {
        "next_url": f"{page}?job={job.pk}#bulk-form" if report.not_sent else f"{page}#invitations",
        "round_id": diagnostic_round.pk,
        "sent": len(report.sent),
        "not_sent": report.not_sent_data(),
    }
