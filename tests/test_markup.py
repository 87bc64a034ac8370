"""Every public page type is valid HTML according to the Nu HTML checker (vnu)."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .pages import public_pages

VNU = Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

pytestmark = pytest.mark.django_db


def test_public_pages_have_no_html_errors(client, tmp_path):
    if not VNU.exists() or not shutil.which("java"):
        if os.environ.get("CI"):
            pytest.fail("vnu.jar or java is missing: `make test` installs both")
        pytest.skip("the Nu HTML checker is not installed (run `make test`)")
    files = []
    for name, path in public_pages():
        response = client.get(path)
        assert response.status_code in (200, 404), path
        target = tmp_path / f"{name}.html"
        target.write_bytes(response.content)
        files.append(str(target))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "text", *files],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
