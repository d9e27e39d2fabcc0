import io
from collections.abc import Iterator
from pathlib import Path

from django.contrib import messages
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join

from swim.accounts.permissions import may, require
from swim.csv_safety import SafeWriter
from swim.directory.actions import do_start_upload_import
from swim.directory.forms import ImportUploadForm
from swim.directory.importers import get_importer_class, importer_names
from swim.directory.importing import describe
from swim.directory.lookup import offered, option_value
from swim.directory.models import ImportRun, Organisation, Tie
from swim.directory.search import DirectoryPaginator, filter_organisations
from swim.directory.views_map import organisation_map_context
from swim.http import AuthedRequest

EXPORT_CHUNK_ROWS = 500
EXPORT_FIELDS = [
    "org_id",
    "name",
    "status",
    "postcode",
    "latitude",
    "longitude",
    "geocode_precision",
    "local_authority_code",
    "local_authority",
    "income",
    "spending",
    "income_band",
    "financial_year_end",
    "date_registered",
    "website",
    "activities",
    "source",
    "source_date",
]


def search(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_directory")
    form, organisations = filter_organisations(request.GET)
    page = DirectoryPaginator(organisations, form).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "can_export": may(request.user, "directory.export_directory"),
    }
    template = "directory/_results.html" if request.htmx else "directory/search.html"
    return render(request, template, context)


def export(request: AuthedRequest) -> StreamingHttpResponse:
    """The current filter's organisations as CSV (public register fields only)."""
    require(request.user, "directory.export_directory")
    _, organisations = filter_organisations(request.GET)

    def rows() -> Iterator[str]:
        # The keys in order first, then the rows by key a few hundred at a time: a database
        # cursor would have PostgreSQL plan for the first rows, walking the name index.
        pks = list(organisations.values_list("pk", flat=True))
        buffer = io.StringIO()
        writer = SafeWriter(buffer)

        def written() -> str:
            text = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return text

        writer.writerow(EXPORT_FIELDS)
        yield written()
        for start in range(0, len(pks), EXPORT_CHUNK_ROWS):
            chunk = pks[start : start + EXPORT_CHUNK_ROWS]
            found = Organisation.objects.filter(pk__in=chunk).values_list("pk", *EXPORT_FIELDS)
            by_pk = {row[0]: row[1:] for row in found}
            writer.writerows(by_pk[pk] for pk in chunk if pk in by_pk)
            yield written()

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="swim-directory.csv"'
    return response


def organisation(request: AuthedRequest, org_id: str) -> HttpResponse:
    org = get_object_or_404(Organisation, org_id=org_id)
    require(request.user, "directory.view_organisation", org)
    ties = Tie.objects.filter(Q(a=org) | Q(b=org)).select_related("a", "b")
    show_private = may(request.user, "directory.view_private", org)
    context = {
        "org": org,
        "ties": [(tie, tie.b if tie.a_id == org.pk else tie.a) for tie in ties],
        "networks": org.networks.all(),
        "classifications": org.classifications.all(),
        "show_private": show_private,
        "memberships": org.memberships.select_related("user") if show_private else [],
        **organisation_map_context(org),
    }
    return render(request, "directory/organisation.html", context)


def lookup(request: AuthedRequest) -> HttpResponse:
    """The ``<option>``s of an organisation field's type-ahead list (``OrganisationInput``):
    at most 20 active organisations matching the words typed, as ``Name (org-id)`` labelled
    with their postcode. The words are ``q``, or the value of the parameter ``field`` names.

    Register data, so anyone who may see the directory may look: its list is not scoped.
    """
    require(request.user, "directory.view_directory")
    field = request.GET.get("field")
    typed = request.GET.get(field or "q", "")
    options = format_html_join(
        "\n",
        '<option value="{}">{}</option>',
        ((option_value(o), o.postcode or o.org_id) for o in offered(typed)),
    )
    return HttpResponse(options)


def my_organisations(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_my_organisations")
    organisations = Organisation.objects.filter(memberships__user=request.user)
    return render(request, "directory/mine.html", {"organisations": organisations})


def imports(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.import_data")
    runs = ImportRun.objects.select_related("started_by")[:100]
    return render(request, "directory/imports.html", {"runs": runs})


def import_new(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.import_data")
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = do_start_upload_import(
            form.cleaned_data["file"],
            source=form.cleaned_data["source"],
            options={"label": form.cleaned_data["label"], "map": form.cleaned_data["mapping"]},
            sample=form.cleaned_data["sample"],
            by=request.user,
        )
        messages.success(request, "The file is uploaded; the import runs in the background.")
        return redirect(job)
    sources = [describe(get_importer_class(name)) for name in importer_names()]
    return render(request, "directory/import_new.html", {"form": form, "sources": sources})


def import_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request.user, "directory.import_data")
    run = get_object_or_404(ImportRun.objects.select_related("started_by", "job"), pk=pk)
    return render(request, "directory/import_detail.html", {"run": run})


def import_rejections(request: AuthedRequest, pk: int) -> FileResponse:
    require(request.user, "directory.import_data")
    run = get_object_or_404(ImportRun, pk=pk)
    if not run.report_file or not Path(run.report_file).is_file():
        raise Http404("This import has no report: no row was rejected or warned about.")
    return FileResponse(
        Path(run.report_file).open("rb"),
        as_attachment=True,
        filename=f"import-{run.pk}-report.csv",
        content_type="text/csv",
    )
