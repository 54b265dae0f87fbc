"""The connector as shipped: built into an image and driven through `docker run`.

The first test that needs the image starts a Docker engine if it can (.ci/docker.sh)
and builds the image, once per session. Where no engine can be started the tests
skip with one loud line in the summary, unless REQUIRE_DOCKER=1, which makes that
an error so CI cannot pass silently.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from integration_tests import cli
from integration_tests import docker_support as ds

EXPECTED_STREAMS = set(cli.STREAMS)

@pytest.fixture(scope="session")
def docker_engine() -> None:
    """A running Docker engine (started if it can be); without one every test here skips with
    the same reason, one line in the -ra summary, unless REQUIRE_DOCKER=1 makes it an error."""
    problem = ds.start_docker()
    if problem:
        if os.environ.get("REQUIRE_DOCKER") == "1":
            pytest.fail(f"REQUIRE_DOCKER=1 but no Docker engine: {problem}", pytrace=False)
        pytest.skip(f"DOCKER TESTS NOT RUN: no Docker engine ({problem})")


@pytest.fixture(scope="session")
def image(docker_engine) -> str:
    try:
        return ds.build_connector_image()
    except Exception as error:  # a broken build must fail loudly, not skip
        pytest.fail(f"could not build the connector image: {error}", pytrace=False)


def messages(result) -> cli.Output:
    """The run's Airbyte messages, parsed as the CLI tests parse them (every stdout line JSON)."""
    return cli.Output(result.returncode, result.stdout, result.stderr)


def expected_name_and_version() -> tuple[str, str]:
    pyproject = tomllib.loads((ds.REPO_ROOT / "pyproject.toml").read_text())
    version = pyproject["project"]["version"]
    name = f"airbyte/{pyproject['project']['name']}"
    metadata_file = ds.REPO_ROOT / "metadata.yaml"
    if metadata_file.exists():
        data = yaml.safe_load(metadata_file.read_text())["data"]
        assert data["dockerImageTag"] == version, "metadata.yaml dockerImageTag != pyproject version"
        name = data["dockerRepository"]
    return name, version


def write_secrets(directory: Path, **files) -> Path:
    # The container runs as a non-root user: the mount must be world-readable.
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name, content in files.items():
        path = directory / f"{name}.json"
        path.write_text(json.dumps(content))
        path.chmod(0o644)
    return directory


# ------------------------------------------------------------ image metadata


def test_labels_match_metadata(image):
    config = ds.image_config(image)
    name, version = expected_name_and_version()
    assert config["Labels"]["io.airbyte.name"] == name
    assert config["Labels"]["io.airbyte.version"] == version


def test_runs_as_non_root_with_cli_entrypoint(image):
    config = ds.image_config(image)
    assert config["User"] not in ("", "root", "0", "0:0")
    assert config["Entrypoint"] == ["source-amplitude-til"]
    assert "AIRBYTE_ENTRYPOINT=source-amplitude-til" in config["Env"]


def test_installed_manifest_is_a_real_file(image):
    # The source tree's manifest.yaml is a symlink; the wheel must carry the file itself.
    probe = (
        "import pathlib, source_amplitude_til as p; "
        "m = pathlib.Path(p.__file__).with_name('manifest.yaml'); "
        "print(m.is_symlink(), m.stat().st_size)"
    )
    # --workdir /: the source tree in the image's workdir would shadow the install.
    result = ds.docker_run(image, ["-c", probe], options=["--workdir", "/", "--entrypoint", "python3"])
    assert result.returncode == 0, result.stderr[-2000:]
    is_symlink, size = result.stdout.split()
    assert is_symlink == "False" and int(size) > 0


def test_spec(image):
    result = ds.docker_run(image, ["spec"])
    assert result.returncode == 0, result.stderr[-2000:]
    specs = messages(result).of_type("SPEC")
    assert len(specs) == 1
    assert specs[0]["spec"]["connectionSpecification"]["properties"]


# ------------------------------------------------------------ against the emulator


@pytest.fixture(scope="module")
def emulator(image):
    from integration_tests.emulator import AmplitudeEmulator

    with AmplitudeEmulator() as server:
        yield server


@pytest.fixture(scope="module")
def secrets(emulator, tmp_path_factory) -> Path:
    return write_secrets(tmp_path_factory.mktemp("secrets"), config=emulator.config())


@pytest.fixture(scope="module")
def catalog(image, secrets) -> dict:
    result = ds.docker_run(image, ["discover", "--config", "/secrets/config.json"], secrets)
    assert result.returncode == 0, result.stderr[-2000:]
    catalogs = messages(result).of_type("CATALOG")
    assert len(catalogs) == 1
    return catalogs[0]["catalog"]


def test_check_succeeds(image, secrets):
    result = ds.docker_run(image, ["check", "--config", "/secrets/config.json"], secrets)
    assert messages(result).connection_status == {"status": "SUCCEEDED"}, result.stderr[-2000:]


def test_check_fails_with_wrong_secret(image, emulator, tmp_path):
    bad = write_secrets(tmp_path / "bad", config=emulator.config(secret_key="not-the-secret"))
    result = ds.docker_run(image, ["check", "--config", "/secrets/config.json"], bad)
    assert messages(result).connection_status["status"] == "FAILED", result.stderr[-2000:]


def test_discover_lists_all_streams(catalog):
    assert {stream["name"] for stream in catalog["streams"]} == EXPECTED_STREAMS


def test_incremental_read_is_exactly_once_and_resumes_from_state(image, emulator, secrets, catalog):
    events = next(s for s in catalog["streams"] if s["name"] == "events")
    assert "incremental" in events["supported_sync_modes"]
    configured = {
        "streams": [
            {
                "stream": events,
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
                "cursor_field": events.get("default_cursor_field", []),
                "primary_key": events.get("source_defined_primary_key", []),
            }
        ]
    }
    write_secrets(secrets, catalog=configured)
    read = ["read", "--config", "/secrets/config.json", "--catalog", "/secrets/catalog.json"]

    first = ds.docker_run(image, read, secrets)
    assert first.returncode == 0, first.stderr[-2000:]
    output = messages(first)
    uuids = Counter(cli.event_uuids(output))
    duplicates = [uuid for uuid, count in uuids.items() if count > 1]
    assert not duplicates, f"{len(duplicates)} duplicated uuids, e.g. {duplicates[:3]}"
    assert set(uuids) == {event["uuid"] for event in emulator.events}
    assert output.states, "no STATE message"

    # Airbyte passes back the latest state of each stream.
    write_secrets(secrets, state=output.last_states())

    second = ds.docker_run(image, [*read, "--state", "/secrets/state.json"], secrets)
    assert second.returncode == 0, second.stderr[-2000:]
    assert messages(second).of_type("RECORD") == []
