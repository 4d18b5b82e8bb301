"""The `flask` command in the checkout, without --app, uses the development app."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = Path(sys.executable).parent / "flask"


def run_flask(
    tmp_path: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("FLASK_") and key not in ("SECRET_KEY", "DATABASE_URL")
    }
    # A key of its own, so the development app writes none into the checkout.
    env |= {"SECRET_KEY": "k" * 40, "DATABASE_URL": f"sqlite:///{tmp_path}/f.sqlite"}
    return subprocess.run(
        [str(FLASK), *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_plain_flask_db_upgrade_migrates_with_the_development_app(tmp_path):
    result = run_flask(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "0004_list_version" in result.stderr
    shell = run_flask(
        tmp_path,
        "shell",
        stdin="from flask import current_app\n"
        "print('development:', current_app.config['UPGRADE_EMPTY_DATABASE'])\n",
    )
    assert "development: True" in shell.stdout, shell.stderr
