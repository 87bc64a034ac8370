"""The Nu HTML checker (vnu-jar from npm, on the installed Java), shared by the markup tests."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

VNU = Path(__file__).resolve().parents[1] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def assert_valid_html(pages, tmp_path):
    """pages: (name, response) pairs. One JVM checks them all; any error fails with vnu's report."""
    if not VNU.exists() or not shutil.which("java"):
        if os.environ.get("CI"):
            pytest.fail("vnu.jar or java is missing: `make test` installs both")
        pytest.skip("the Nu HTML checker is not installed (run `make test`)")
    files = []
    for name, response in pages:
        target = tmp_path / f"{name}.html"
        target.write_bytes(response.content)
        files.append(str(target))
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "text", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
