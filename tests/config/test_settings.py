"""Settings come from the environment; production settings pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x7Qp9#vL2m" * 6,
    "ALLOWED_HOSTS": "books.example.com",
    "DATABASE_URL": "sqlite:////tmp/ledgerwise-deploy-check.sqlite3",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_production_settings_pass_check_deploy():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.slow
def test_production_refuses_to_start_without_secret_key():
    env = PRODUCTION_ENV | {"SECRET_KEY": ""}
    result = run_manage("check", env=env)
    assert result.returncode == 1
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.slow
def test_a_throttle_rate_of_off_disables_that_throttle():
    # Given the user throttle switched off and the anon rate changed in the environment
    env = {"API_THROTTLE_USER": "off", "API_THROTTLE_ANON": "5/min"}
    # When the settings are read
    result = run_manage(
        "shell", "--no-imports", "-c",
        "from django.conf import settings; r = settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']; "
        "print(r['user'], r['anon'], r['auth'])",
        env=env,
    )
    # Then the user throttle has no rate (DRF lets every request through) and the others keep theirs
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None 5/min 20/min"
