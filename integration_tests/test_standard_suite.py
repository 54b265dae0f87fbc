"""The Airbyte CDK standard tests (`airbyte_cdk.test.standard_tests`) against the local emulator.

For a `language:python` source (metadata.yaml) whose name starts with `source-`, the CDK's
`create_connector_test_suite` picks `SourceTestSuiteBase`; it takes the connector's name from its
directory, which here is a checkout named anything, so the suite is subclassed directly with
the root and name set. It reads its scenarios from acceptance-test-config.yml and runs spec, check
(good and bad configs), discover, a full read of every stream, config-matches-spec and the bad
catalog read, all in-process through the CDK entrypoint.

Two adaptations, both through the suite's own hooks:

* `create_connector(scenario)`: the suite would call `SourceAmplitudeTil()` with no arguments,
  but a declarative source needs its config (and takes catalog and state) when it is built, as
  `source_amplitude_til/run.py` does. It is built here from the scenario's config.
* `get_scenarios()`: the `secrets/*.json` configs of acceptance-test-config.yml point at the
  emulator, whose port is random, so they cannot be files in the repository. Each scenario's
  config path is moved into a temporary directory, and the files are written there from
  integration_tests/standard/emulator_configs.yml once the emulator has started.

The suite's image tests (`@pytest.mark.image_tests`) are not run here: they build the image from
Dockerfile templates downloaded from GitHub on a base image pulled from Docker Hub, run containers
without host networking (so they could not reach the emulator), and compare the spec with the
one published in Airbyte's registry. integration_tests/test_docker_image.py covers the image
offline instead. `-m "not image_tests"` deselects their placeholders.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase
from airbyte_cdk.test.standard_tests._job_runner import run_test_job
from boltons.typeutils import classproperty

from integration_tests.emulator import AmplitudeEmulator
from source_amplitude_til.source import SourceAmplitudeTil

pytest_plugins = ["airbyte_cdk.test.standard_tests.pytest_hooks"]

ROOT = Path(__file__).resolve().parent.parent
METADATA = MetadataFile.from_file(ROOT / "metadata.yaml")
CONNECTOR_NAME = METADATA.data.dockerRepository.split("/")[-1]
EMULATOR_CONFIGS = yaml.safe_load((Path(__file__).parent / "standard" / "emulator_configs.yml").read_text())

# Where the scenario configs are written; created at collection, filled when the emulator starts.
_CONFIG_DIR = Path(tempfile.mkdtemp(prefix="source-amplitude-til-standard-"))

_IMAGE_TESTS_NOT_HERE = (
    "the suite's image tests need the network (Dockerfile templates from GitHub, base image and "
    "published spec from Airbyte's registries) and container networking to reach the emulator; "
    "the image is tested offline by integration_tests/test_docker_image.py"
)


@pytest.fixture(scope="module", autouse=True)
def emulator():
    """The emulator the scenario configs point at, and those configs."""
    with AmplitudeEmulator() as emu:
        for name, overrides in EMULATOR_CONFIGS.items():
            config = emu.config(**overrides)
            assert config["api_base_url"].startswith("http://127.0.0.1:")
            (_CONFIG_DIR / f"{name}.json").write_text(json.dumps(config))
        yield emu
    shutil.rmtree(_CONFIG_DIR, ignore_errors=True)


def _image_test_placeholder():
    @pytest.mark.image_tests
    def test(self):
        pytest.skip(_IMAGE_TESTS_NOT_HERE)

    return test


class TestStandardSuite(SourceTestSuiteBase):
    """The suite the CDK chooses for this connector, with the two hooks above."""

    @classmethod
    def get_connector_root_dir(cls) -> Path:
        return ROOT

    @classproperty
    def connector_name(cls) -> str:
        return CONNECTOR_NAME

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        scenarios = []
        for scenario in super().get_scenarios():
            name = scenario.config_path.stem
            if name not in EMULATOR_CONFIGS:
                raise ValueError(
                    f"acceptance-test-config.yml names {scenario.config_path}, which "
                    "integration_tests/standard/emulator_configs.yml does not define"
                )
            # Not under a `secrets/` directory: the suite would mark it `requires_creds`,
            # and `--no-creds` runs would drop it, though the emulator needs no credentials.
            scenarios.append(scenario.model_copy(update={"config_path": _CONFIG_DIR / f"{name}.json"}))
        return scenarios

    @classmethod
    def create_connector(cls, scenario: ConnectorTestScenario | None) -> SourceAmplitudeTil:
        config = scenario.get_config_dict(connector_root=ROOT, empty_if_missing=True) if scenario else {}
        return SourceAmplitudeTil(config=config or None, catalog=None, state=None)

    test_docker_image_build_and_spec = _image_test_placeholder()
    test_docker_image_spec_backward_compatibility = _image_test_placeholder()
    test_docker_image_build_and_check = _image_test_placeholder()
    test_docker_image_build_and_config_matches_spec = _image_test_placeholder()
    test_docker_image_build_and_discover = _image_test_placeholder()
    test_docker_image_build_and_read = _image_test_placeholder()


def test_only_the_known_image_tests_are_replaced():
    """If a CDK upgrade adds an image test, it must be looked at, not silently run or dropped."""
    image_tests = {
        name
        for klass in SourceTestSuiteBase.__mro__
        for name, member in vars(klass).items()
        if name.startswith("test_")
        and any(mark.name == "image_tests" for mark in getattr(member, "pytestmark", []))
    }
    replaced = {name for name in vars(TestStandardSuite) if name.startswith("test_docker_image")}
    assert image_tests == replaced


def test_the_cdk_would_choose_this_suite():
    """What create_connector_test_suite decides from metadata.yaml: the Python source suite."""
    assert METADATA.data.language == ConnectorLanguage.PYTHON
    assert CONNECTOR_NAME == "source-amplitude-til" and CONNECTOR_NAME.startswith("source-")


def test_scenarios_cover_every_command():
    """acceptance-test-config.yml gives every command of the suite a scenario, good and bad."""
    scenarios = TestStandardSuite.get_scenarios()
    commands = set().union(*(scenario.commands for scenario in scenarios))
    assert commands == {"spec", "check", "discover", "read"}
    assert {s.config_path.stem: s.status for s in scenarios if s.runs("check")} == {
        "config": "succeed",
        "config_bad_keys": "failed",
        "config_bad_start_date": "failed",
    }


@pytest.mark.parametrize(
    "name, reason",
    [
        ("config_bad_keys", "Amplitude refused the credentials (HTTP 401/403)"),
        ("config_bad_start_date", "Config validation error"),
    ],
)
def test_bad_configs_fail_for_their_own_reason(emulator, name, reason):
    """The suite only checks that these `check`s report FAILED; here, that each fails as meant."""
    (scenario,) = [s for s in TestStandardSuite.get_scenarios() if s.config_path.stem == name]
    emulator.reset_log()
    result = run_test_job(
        TestStandardSuite.create_connector(scenario), "check", connector_root=ROOT, test_scenario=scenario
    )
    (status,) = result.connection_status_messages
    assert reason in status.connectionStatus.message
    statuses = [request["status"] for request in emulator.requests]
    assert statuses == ([401] if name == "config_bad_keys" else [])
