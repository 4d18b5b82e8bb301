"""The shipped deploy files: nginx accepts the site as an operator installs it."""

import getpass
import shutil
import subprocess

import pytest

from tests.servers import ROOT, make_certificate, nginx_binary, require

pytestmark = pytest.mark.slow

SITE = ROOT / "deploy" / "nginx" / "flicklist.conf"
LOCATIONS = ROOT / "deploy" / "nginx" / "flicklist-locations.conf"


def test_nginx_accepts_the_site_file(tmp_path):
    require(nginx_binary(), "nginx is not installed (apt-get install nginx)")
    require(shutil.which("openssl"), "openssl is not installed")
    make_certificate(tmp_path)
    # The operator's paths, moved into the temporary folder.
    site = (
        SITE.read_text()
        .replace("/etc/letsencrypt/live/flicklist.example.org/", f"{tmp_path}/")
        .replace("/etc/nginx/snippets/flicklist-locations.conf", str(LOCATIONS))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "site.conf").write_text(site)
    temp_paths = " ".join(
        f"{name}_temp_path {tmp_path}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"user {getpass.getuser()};\n"
        f"pid {tmp_path}/nginx.pid;\n"
        "events {}\n"
        f"http {{ access_log off; {temp_paths} include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [
            nginx_binary(),
            "-t",
            "-p",
            str(tmp_path),
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
