"""Fetching a register from its publisher's official address (``--download``)."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import URLError

from django.conf import settings
from django.utils import timezone


class DownloadFailed(Exception):
    """The file could not be fetched; the message says why."""


def download(importer_class: Any, *, url: str | None = None, timeout: float = 60) -> Path:
    """Save the importer's official file under ``var/downloads/`` and return its path."""
    address = url or importer_class.download_url
    if not address:
        raise DownloadFailed(
            f"The {importer_class.name} source has no official download; give a file instead."
        )
    if not address.startswith(("https://", "http://")):
        raise DownloadFailed(f"Only http(s) addresses can be downloaded, not {address!r}.")
    folder = Path(settings.VAR_DIR) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{importer_class.name}-{stamp}.download"
    request = urllib.request.Request(address, headers={"User-Agent": "SWiM register import"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, target.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except (URLError, OSError, ValueError) as exc:
        target.unlink(missing_ok=True)
        raise DownloadFailed(f"Could not download {address}: {exc}") from exc
    if target.stat().st_size == 0:
        target.unlink()
        raise DownloadFailed(f"{address} returned an empty file.")
    return target
