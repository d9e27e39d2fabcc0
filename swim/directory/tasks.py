"""Background tasks of the directory: imports uploaded in the web UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from swim.directory.importers import get_importer_class
from swim.directory.importing import run_import
from swim.jobs.models import Job
from swim.jobs.tasking import job_task


@job_task
def import_upload(
    job: Job,
    source: str,
    path: str,
    options: dict[str, Any],
    sample: int | None = None,
    file_name: str = "",
) -> dict[str, Any]:
    """Import an uploaded file, reporting rows read as progress."""
    importer = get_importer_class(source)(**options)
    total = estimate_rows(Path(path))
    job.report(0, total, "Reading the file")
    run = run_import(
        importer,
        Path(path),
        sample=sample,
        started_by=job.created_by,
        job=job,
        file_name=file_name,
        progress=lambda done, message: job.report(min(done, total or done), None, message),
    )
    warm_up_concentration(by=job.created_by)
    return {
        "import_run": run.pk,
        "next_url": run.get_absolute_url(),
        "read": run.read,
        "rejected": run.rejected,
    }


def warm_up_concentration(*, by: Any) -> None:
    """After an import: queue the job that computes the concentration map's counts for the
    new data (it runs after this import, in the worker; nothing waits for it)."""
    from swim.discovery.concentration import do_start_warm_up

    do_start_warm_up(by=by)


def estimate_rows(path: Path) -> int | None:
    """Lines in a plain CSV/TXT file less its header (None for compressed or JSON files)."""
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"}:
        return None
    with path.open("rb") as handle:
        return max(
            sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1, 1
        )
