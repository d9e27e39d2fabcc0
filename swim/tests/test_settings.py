"""Configuration: every variable documented, secure production settings, SQLite tuned."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_read_in_settings_is_in_the_readme_table() -> None:
    source = (ROOT / "swim" / "settings.py").read_text()
    names = set(re.findall(r'env(?:_bool|_list)?\("([A-Z_]+)"', source))
    readme = (ROOT / "README.md").read_text()
    table_names = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.M))
    assert names, "no variables found in settings.py"
    assert names - table_names == set(), "undocumented variables"
    assert table_names - names == set(), "documented variables that settings do not read"


def run_swim(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "SWIM_ENV", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "swim", *args],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_with_a_proper_secret_passes_the_deploy_check() -> None:
    result = run_swim(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SWIM_ENV="production",
        SECRET_KEY="x" * 20 + "-a-long-random-secret-key-for-tests-0123456789",
        ALLOWED_HOSTS="swim.example.org",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret() -> None:
    result = run_swim("check", SWIM_ENV="production", ALLOWED_HOSTS="swim.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only setting; this run uses " + connection.vendor)
    options = connection.settings_dict["OPTIONS"]
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5


@pytest.mark.django_db
def test_pages_carry_security_headers_and_an_httponly_session_cookie(
    client: Client, django_user_model: Any
) -> None:
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    django_user_model.objects.create_user("h@example.org", "pw pw pw 123 x")
    response = client.post(
        "/accounts/login/", {"username": "h@example.org", "password": "pw pw pw 123 x"}
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


@pytest.mark.django_db
def test_posts_without_a_csrf_token_are_refused(django_user_model: type) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "a@b.org", "password": "x"})
    assert response.status_code == 403


def test_the_health_check_answers_without_signing_in(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
