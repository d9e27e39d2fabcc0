"""``import_register --download``: fetch a register over HTTP, then import it.

A small HTTP server on 127.0.0.1 stands in for the publisher; no test leaves the machine.
"""

from __future__ import annotations

import io
import socket
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from swim.directory.models import ImportRun, Organisation

CSV = (Path(__file__).parent / "data" / "ccni_download.csv").read_bytes()


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


FILES = {"/ccni.csv": CSV, "/ccni.zip": _zipped("charitydetails.csv", CSV)}


class _Publisher(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = FILES.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture(autouse=True)
def _offline(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.VAR_DIR = tmp_path  # downloads and reports go here, not into the project's var/
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def publisher() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Publisher)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def download(url: str) -> str:
    out = io.StringIO()
    call_command("import_register", "--source", "ccni", "--download", "--url", url, stdout=out)
    return out.getvalue()


def downloads(tmp_path: Path) -> list[str]:
    folder = tmp_path / "downloads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.django_db
def test_it_downloads_a_register_csv_and_imports_it(publisher: str, tmp_path: Path) -> None:
    output = download(f"{publisher}/ccni.csv")

    assert sorted(Organisation.objects.values_list("org_id", "status")) == [
        ("GB-NIC-100002", "active"),
        ("GB-NIC-100010", "active"),
        ("GB-NIC-100020", "removed"),
    ]
    run = ImportRun.objects.get()
    assert (run.source, run.status, run.read, run.created) == ("ccni", "succeeded", 3, 3)
    assert run.file_name.startswith("ccni-")
    assert run.file_name.endswith(".download")
    assert "ccni: read 3 = created 3 + updated 0 + unchanged 0 + rejected 0" in output
    assert len(downloads(tmp_path)) == 1


@pytest.mark.django_db
def test_it_imports_the_csv_inside_a_downloaded_zip(publisher: str) -> None:
    download(f"{publisher}/ccni.zip")

    assert Organisation.objects.count() == 3
    assert Organisation.objects.get(org_id="GB-NIC-100002").postcode == "BT14 7PJ"


@pytest.mark.django_db
def test_a_missing_file_stops_with_a_clear_message_and_saves_nothing(
    publisher: str, tmp_path: Path
) -> None:
    url = f"{publisher}/missing.csv"

    with pytest.raises(CommandError, match=r"HTTP Error 404") as error:
        download(url)

    assert str(error.value).startswith(f"Could not download {url}: ")
    assert not Organisation.objects.exists()
    assert not ImportRun.objects.exists()
    assert downloads(tmp_path) == []


@pytest.mark.django_db
def test_an_unreachable_server_stops_with_a_clear_message_and_saves_nothing(
    closed_port: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{closed_port}/ccni.csv"

    with pytest.raises(CommandError, match=r"Connection refused") as error:
        download(url)

    assert str(error.value).startswith(f"Could not download {url}: ")
    assert not Organisation.objects.exists()
    assert not ImportRun.objects.exists()
    assert downloads(tmp_path) == []
