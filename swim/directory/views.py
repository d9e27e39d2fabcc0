from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from swim.accounts.permissions import may, require
from swim.directory.models import ImportRun, Organisation, Tie
from swim.http import AuthedRequest


def search(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_directory")
    query = request.GET.get("q", "").strip()
    organisations = Organisation.objects.filter(status=Organisation.Status.ACTIVE)
    if query:
        organisations = organisations.filter(
            Q(name__icontains=query) | Q(activities__icontains=query) | Q(org_id__iexact=query)
        )
    page = Paginator(organisations.only("org_id", "name", "postcode", "income_band"), 50)
    context = {"query": query, "page": page.get_page(request.GET.get("page"))}
    return render(request, "directory/search.html", context)


def organisation(request: AuthedRequest, org_id: str) -> HttpResponse:
    org = get_object_or_404(Organisation, org_id=org_id)
    require(request.user, "directory.view_organisation", org)
    ties = Tie.objects.filter(Q(a=org) | Q(b=org)).select_related("a", "b")
    context = {
        "org": org,
        "ties": [(tie, tie.b if tie.a_id == org.pk else tie.a) for tie in ties],
        "networks": org.networks.all(),
        "classifications": org.classifications.all(),
        "show_private": may(request.user, "directory.view_private", org),
    }
    return render(request, "directory/organisation.html", context)


def my_organisations(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_my_organisations")
    organisations = Organisation.objects.filter(memberships__user=request.user)
    return render(request, "directory/mine.html", {"organisations": organisations})


def imports(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.import_data")
    runs = ImportRun.objects.select_related("started_by")[:50]
    return render(request, "directory/imports.html", {"runs": runs})


def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request.user, "directory.import_data")
    run = get_object_or_404(ImportRun, pk=pk)
    return render(request, "directory/import_detail.html", {"run": run})
