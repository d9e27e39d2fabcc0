"""Writes of the directory shared by views, commands and the API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

from swim.jobs.actions import do_start_job
from swim.jobs.models import Job

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from swim.accounts.models import User


def do_start_upload_import(
    upload: UploadedFile, *, source: str, options: dict[str, Any], sample: int | None, by: User
) -> Job:
    """Keep the uploaded file under ``var/uploads/`` and queue its import as a job."""
    from swim.directory.tasks import import_upload

    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    safe_name = "".join(c if c.isalnum() or c in "._-" else "_" for c in upload.name or "file")
    path = folder / f"{uuid.uuid4().hex[:12]}-{safe_name}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return do_start_job(
        import_upload,
        kind="directory.import",
        label=f"Import of {upload.name} ({source})",
        by=by,
        source=source,
        path=str(path),
        options=options,
        sample=sample,
        file_name=upload.name or safe_name,
    )
