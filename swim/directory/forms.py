from __future__ import annotations

import re
from typing import Any

from django import forms

from swim.directory.importers import get_importer_class, importer_names

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".txt", ".json", ".gz", ".zip", ".tsv")


def _source_choices() -> list[tuple[str, str]]:
    return [(name, f"{get_importer_class(name).title} ({name})") for name in importer_names()]


class ImportUploadForm(forms.Form):
    source = forms.ChoiceField(label="What kind of file is it?", choices=_source_choices)
    file = forms.FileField(
        label="File",
        help_text="A register extract or a CSV of local groups (.csv, .txt, .json; .gz and "
        ".zip are fine). Up to 500 MB.",
    )
    label = forms.CharField(
        label="Name of this list",
        required=False,
        max_length=80,
        help_text="For a CSV of local groups: e.g. “Trafford contacts 2026”.",
    )
    mapping = forms.CharField(
        label="Column mapping",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a CSV of local groups whose headings SWiM cannot guess: one "
        "<code>field=Column heading</code> per line, e.g. <code>name=Group name</code>.",
    )
    sample = forms.IntegerField(
        label="Only the first rows",
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text="Leave empty to import the whole file.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is larger than 500 MB.")
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError("Upload a .csv, .txt, .tsv, .json, .gz or .zip file.")
        return upload

    def clean_mapping(self) -> list[str]:
        lines = []
        for number, line in enumerate(self.cleaned_data["mapping"].splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not re.fullmatch(r"[a-z_]+\s*=\s*\S.*", line):
                raise forms.ValidationError(
                    f"Line {number} should look like field=Column heading: {line!r}"
                )
            lines.append(line)
        return lines
