from django.contrib.auth import get_user_model
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from swim.accounts.models import Role
from swim.accounts.permissions import require, visible_jobs
from swim.directory.models import ImportRun, Organisation
from swim.http import AuthedRequest


def dashboard(request: AuthedRequest) -> HttpResponse:
    """The signed-in home: what this role needs first."""
    require(request.user, "accounts.view_dashboard")
    user = request.user
    context: dict[str, object] = {
        "organisation_count": Organisation.objects.filter(status="active").count(),
    }
    if user.is_admin or user.is_facilitator:
        context["recent_imports"] = ImportRun.objects.all()[:5]
        context["recent_jobs"] = visible_jobs(user)[:5]
    if user.is_admin:
        context["people_by_role"] = [
            (Role(row["role"]).label, row["n"])
            for row in get_user_model().objects.values("role").annotate(n=Count("pk"))
        ]
    context["my_organisations"] = Organisation.objects.filter(memberships__user=user)
    return render(request, f"accounts/dashboard_{user.role}.html", context)
