"""PyAirbyte is the `local` extra only: never a dependency of the connector nor in its Docker image."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def requirement_names(requirements):
    return {re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_pyairbyte_is_only_in_the_local_extra():
    assert "airbyte" not in requirement_names(PROJECT["dependencies"])
    assert "airbyte" in requirement_names(PROJECT["optional-dependencies"]["local"])


def test_docker_image_installs_the_package_without_extras():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    installs = [line for line in lines if "pip install" in line and not line.lstrip().startswith("#")]
    assert installs and all(re.search(r"pip install [^\n]*\s\.(\s|$)", line) for line in installs), installs


def test_installing_the_extra_kept_the_pinned_cdk():
    pinned = next(r for r in PROJECT["dependencies"] if r.startswith("airbyte-cdk=="))
    assert metadata.version("airbyte-cdk") == pinned.split("==")[1]
    assert metadata.version("airbyte")  # the extra is installed beside it (make installs .[test,local])
