"""The shipped deploy files: nginx accepts the site as an operator installs it."""

import shutil
import subprocess

import pytest

from tests.servers import (
    ROOT,
    make_certificate,
    nginx_binary,
    nginx_command,
    require,
    standalone_nginx_config,
)

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
    config = standalone_nginx_config(tmp_path, site)
    result = subprocess.run(
        nginx_command(config, "-t"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
