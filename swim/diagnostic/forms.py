"""Forms of the diagnostic: the answering form, invitations, rounds and the area filter."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BoundField
from django.http import QueryDict

from swim.diagnostic.invitees import MAX_LINES, MAX_NAME
from swim.diagnostic.models import (
    LIKERT_CHOICES,
    MAX_CEO_HOURS,
    SCORE_CHOICES,
    CapacityArea,
    ReadinessStatement,
    RespondentRole,
    Response,
    Round,
)
from swim.diagnostic.results import HEATMAP_SORTS
from swim.directory.lookup import OrganisationInput, find_organisation
from swim.directory.models import Organisation

#: The largest file of people to invite the page takes (500 lines are about 60 KB).
MAX_INVITE_FILE_BYTES = 512 * 1024


@dataclass
class AreaSection:
    """The fields of one capacity area, rendered as one fieldset."""

    area: CapacityArea
    score: BoundField
    priority: BoundField
    offer: BoundField
    note: BoundField


@dataclass
class StatementSection:
    statement: ReadinessStatement
    value: BoundField


def _scale(choices: list[tuple[int, str]], label: str, what: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": f"Choose {what} from 1 to 5."},
    )


class ResponseForm(forms.Form):
    """Every question of the diagnostic on one page.

    A draft may leave questions unanswered, but what is given must be valid; submitting
    (``submitting=True``) also requires every capacity area, statement and the CEO hours.
    """

    ceo_hours = forms.DecimalField(
        label="CEO or manager hours a month available for collaborative work",
        min_value=Decimal(0),
        max_value=Decimal(MAX_CEO_HOURS),
        max_digits=5,
        decimal_places=1,
        required=False,
        help_text=f"A number of hours, from 0 to {MAX_CEO_HOURS} (a full-time month).",
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.5"}),
    )
    hopes = forms.CharField(
        label="What does your organisation hope to gain from working with others?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        areas: list[CapacityArea],
        statements: list[ReadinessStatement],
        submitting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.areas = areas
        self.statements = statements
        self.submitting = submitting
        for area in areas:
            self.fields[f"score_{area.slug}"] = _scale(SCORE_CHOICES, area.name, "a rating")
            self.fields[f"priority_{area.slug}"] = forms.BooleanField(
                label="A priority for us", required=False
            )
            self.fields[f"offer_{area.slug}"] = forms.BooleanField(
                label="We could offer this to others", required=False
            )
            self.fields[f"note_{area.slug}"] = forms.CharField(
                label="Note (optional)",
                required=False,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        for statement in statements:
            self.fields[f"ready_{statement.slug}"] = _scale(
                LIKERT_CHOICES, statement.text, "an answer"
            )

    def area_sections(self) -> list[AreaSection]:
        return [
            AreaSection(
                area,
                self[f"score_{area.slug}"],
                self[f"priority_{area.slug}"],
                self[f"offer_{area.slug}"],
                self[f"note_{area.slug}"],
            )
            for area in self.areas
        ]

    def statement_sections(self) -> list[StatementSection]:
        return [StatementSection(s, self[f"ready_{s.slug}"]) for s in self.statements]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.submitting:
            return cleaned
        for area in self.areas:
            name = f"score_{area.slug}"
            if name not in self.errors and cleaned.get(name) is None:
                self.add_error(name, f"Rate {area.name} before submitting.")
        for statement in self.statements:
            name = f"ready_{statement.slug}"
            if name not in self.errors and cleaned.get(name) is None:
                self.add_error(name, "Answer this statement before submitting.")
        if "ceo_hours" not in self.errors and cleaned.get("ceo_hours") is None:
            self.add_error("ceo_hours", "Give the hours (0 if none) before submitting.")
        return cleaned


def initial_from(response: Response) -> dict[str, Any]:
    """The answering form's initial values from a saved (draft) response."""
    initial: dict[str, Any] = {
        "ceo_hours": response.ceo_hours_per_month,
        "hopes": response.hopes,
    }
    for rating in response.ratings.select_related("area"):
        slug = rating.area.slug
        initial[f"score_{slug}"] = rating.score
        initial[f"priority_{slug}"] = rating.is_priority
        initial[f"offer_{slug}"] = rating.can_offer
        initial[f"note_{slug}"] = rating.note
    for answer in response.readiness.select_related("statement"):
        initial[f"ready_{answer.statement.slug}"] = answer.value
    return initial


class RoundForm(forms.ModelForm[Round]):
    class Meta:
        model = Round
        fields = ["name", "local_authority", "opens_on", "closes_on"]
        widgets = {
            "opens_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "closes_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The round cannot close before it opens.")
        return cleaned


class InvitationForm(forms.Form):
    """Invite a person without an account to answer for an organisation.

    The organisation is given by org-id or by name (the directory's rule,
    ``swim.directory.lookup``); with JavaScript on, the field offers the organisations
    matching what is typed.
    """

    organisation = forms.CharField(
        label="Organisation (name or org-id)",
        max_length=400,
        help_text="Start typing its name and choose it from the list, or give its org-id (for "
        "example GB-CHC-1234567). A name must be the directory's, and only one "
        "organisation's.",
        widget=OrganisationInput(),
    )
    name = forms.CharField(label="Their name", max_length=MAX_NAME)
    email = forms.EmailField(label="Their email address")
    role = forms.ChoiceField(label="Their role", choices=RespondentRole.choices)

    def clean_organisation(self) -> Organisation:
        return find_organisation(self.cleaned_data["organisation"])


class BulkInvitationForm(forms.Form):
    """Invite many people at once: lines pasted into the box, or a CSV file of them.

    ``cleaned_data["text"]`` is the lines to send, from the box or the file; the checks of
    each line are ``check_invite_lines``' (the sending, a background job's).
    """

    lines = forms.CharField(
        label="People to invite, one a line",
        required=False,
        strip=False,  # line numbers count from the box's first line, blank or not
        help_text="On each line: the organisation's org-id or name, the person's name, their "
        "email address and their role (ceo, trustee, staff or other; leave it out for CEO or "
        "manager), separated by commas, or columns pasted from a spreadsheet. For example: "
        "<code>GB-CHC-1234567, Asha Khan, asha@example.org, trustee</code>. "
        f"Up to {MAX_LINES} lines.",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(
        label="Or a CSV file of them",
        required=False,
        help_text="The same four columns, saved as CSV UTF-8 (.csv); a heading line is skipped.",
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data.get("file")
        if not upload:
            return ""
        if upload.size > MAX_INVITE_FILE_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_INVITE_FILE_BYTES // 1024} KB: a file of "
                f"{MAX_LINES} people is far smaller. Is it the right file?"
            )
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(
                "Choose a .csv file: save the spreadsheet as “CSV UTF-8” first."
            )
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text: save it from the spreadsheet as “CSV UTF-8”."
            ) from None
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pasted, uploaded = cleaned.get("lines") or "", cleaned.get("file")
        if "file" in self.errors:
            return cleaned
        if pasted.strip() and uploaded:
            self.add_error("file", "Paste the lines or choose a file, not both.")
        elif not pasted.strip() and not uploaded:
            self.add_error("lines", "Paste at least one line, or choose a file.")
        cleaned["text"] = uploaded or pasted
        return cleaned

    def refuse(self, problems: str, text: str) -> None:
        """Mark the box as wrong (``problems``: the id of the list of problems) and keep
        ``text`` in it, a file's lines included, to correct them there."""
        data = QueryDict(mutable=True)
        data.update(self.data)
        data["lines"] = text
        self.data = data
        self.add_error("lines", "Nothing was sent: correct the lines listed above.")
        self.fields["lines"].widget.attrs["aria-describedby"] = (
            f"{problems} id_lines_helptext id_lines_error"
        )


class AreaFilterForm(forms.Form):
    """What the area page shows: a round and local authority, an earlier round to compare
    with, and which heatmap rows in what order (the page number is read apart)."""

    round = forms.ModelChoiceField(
        label="Round", queryset=Round.objects.all(), required=False, empty_label=None
    )
    local_authority = forms.ChoiceField(label="Local authority", required=False)
    compare = forms.ModelChoiceField(
        label="Compare with",
        queryset=Round.objects.all(),
        required=False,
        empty_label="No comparison",
        help_text="Another round: gaps then and now of the organisations that answered both.",
        error_messages={"invalid_choice": "Choose one of the listed rounds to compare with."},
    )
    gap = forms.ChoiceField(label="Only organisations with a gap in", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=HEATMAP_SORTS)

    def __init__(
        self,
        *args: Any,
        authorities: list[str],
        areas: list[CapacityArea] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["local_authority"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All local authorities"), *[(a, a) for a in authorities]]
        gap = self.fields["gap"]
        assert isinstance(gap, forms.ChoiceField)
        gap.choices = [("", "Any area (every organisation)")]
        gap.choices += [(area.slug, area.name) for area in areas or []]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        compare = cleaned.get("compare")
        if compare is not None and compare == (cleaned.get("round") or Round.objects.first()):
            self.add_error("compare", "Choose a round other than the one shown.")
        return cleaned

    def chosen(self) -> dict[str, Any]:
        """The valid choices: a wrong value in one field (reported next to it) leaves the
        others in force; nothing when no choice was made."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return dict(self.cleaned_data)
