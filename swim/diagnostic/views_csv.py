"""Paper diagnostics as CSV: import a round's responses, download its template and responses.

Facilitators only (``diagnostic.manage_rounds``): the files name respondents and carry every
individual answer.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify

from swim.accounts.permissions import require, visible_diagnostic_responses
from swim.diagnostic.actions import ImportReport, active_questions, do_import_responses
from swim.diagnostic.csv_io import column_help, for_export, write_responses, write_template
from swim.diagnostic.models import LIKERT_CHOICES, SCORE_CHOICES, Round
from swim.http import AuthedRequest

#: The largest file the import page takes (a round of thousands of respondents is ~1 MB).
MAX_IMPORT_BYTES = 5 * 1024 * 1024
#: How many problems the page lists before "and N more".
ERRORS_SHOWN = 50


class ResponsesUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of paper responses",
        help_text="The template's columns, one row per respondent, saved as CSV UTF-8 "
        "(.csv). Up to 5 MB.",
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB: split it into several files and import each."
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                "Upload a .csv file: save the spreadsheet as “CSV UTF-8” first."
            )
        return upload


def import_responses(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """Upload a CSV of paper responses: all imported, or nothing and every problem listed."""
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    form = ResponsesUploadForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    if request.method == "POST" and form.is_valid():
        report = do_import_responses(diagnostic_round, form.cleaned_data["file"], by=request.user)
        if report.ok:
            messages.success(request, report.summary())
            return redirect(diagnostic_round)
        form.add_error("file", "Nothing was imported: correct the problems listed above.")
        form.fields["file"].widget.attrs["aria-describedby"] = "import-problems id_file_error"
    areas, statements = active_questions()
    errors = report.errors if report else []
    context = {
        "round": diagnostic_round,
        "form": form,
        "errors": errors[:ERRORS_SHOWN],
        "more": max(0, len(errors) - ERRORS_SHOWN),
        "problems": len(errors),
        "columns": column_help(),
        "areas": areas,
        "statements": statements,
        "scores": SCORE_CHOICES,
        "likert": LIKERT_CHOICES,
    }
    status = 400 if form.errors else 200
    return render(request, "diagnostic/import.html", context, status=status)


def template_csv(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """The blank template: the headings of the current questions."""
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    response = _csv_response(f"diagnostic-{slugify(diagnostic_round.name)}-template.csv")
    write_template(response, *active_questions())
    return response


def responses_csv(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """Every submitted response of the round (online and paper), in the import's format."""
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    responses = visible_diagnostic_responses(request.user).filter(round=diagnostic_round)
    response = _csv_response(f"diagnostic-{slugify(diagnostic_round.name)}-responses.csv")
    write_responses(response, for_export(responses), *active_questions())
    return response


def _csv_response(filename: str) -> HttpResponse:
    """A CSV download starting with a byte-order mark, so Excel reads accents as UTF-8."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    return response
