"""metadata.yaml is a valid Airbyte registry entry and agrees with pyproject.toml and the Dockerfile.

No installed package ships Airbyte's metadata JSON schema: airbyte-cdk 7.39.1 has only a partial
pydantic model (`airbyte_cdk.models.connector_metadata.MetadataFile`), and the schema's own
package (`metadata_service`, in airbytehq/airbyte under airbyte-ci/connectors/metadata_service/lib)
is not on PyPI. So `REGISTRY_SCHEMA` below writes out the part of that schema this entry uses,
from airbytehq/airbyte
airbyte-ci/connectors/metadata_service/lib/metadata_service/models/src/ConnectorMetadataDefinitionV0.yaml
and the files it references (RegistryOverrides.yaml, RemoteRegistries.yaml / PyPi.yaml,
ConnectorTestSuiteOptions.yaml, AllowedHosts.yaml, ConnectorBuildOptions.yaml, ReleaseStage.yaml,
SupportLevel.yaml), and validates with jsonschema (an airbyte-cdk dependency).
"""

import re
import uuid
from pathlib import Path

import jsonschema
import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yaml"

_REGISTRY_OVERRIDE = {
    "type": "object",
    "required": ["enabled"],
    "properties": {"enabled": {"type": "boolean"}},
}

# ConnectorMetadataDefinitionV0: `data` takes no keys beyond those listed, and these are required.
REGISTRY_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["metadataSpecVersion", "data"],
    "additionalProperties": False,
    "properties": {
        "metadataSpecVersion": {"type": "string"},
        "data": {
            "type": "object",
            "required": [
                "name",
                "definitionId",
                "connectorType",
                "dockerRepository",
                "dockerImageTag",
                "license",
                "documentationUrl",
                "githubIssueLabel",
                "connectorSubtype",
                "releaseStage",
            ],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "icon": {"type": "string"},
                "definitionId": {"type": "string", "format": "uuid"},
                "connectorBuildOptions": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"baseImage": {"type": "string"}},
                },
                "connectorType": {"enum": ["destination", "source"]},
                "dockerRepository": {"type": "string"},
                "dockerImageTag": {"type": "string"},
                "supportsDbt": {"type": "boolean"},
                "supportsNormalization": {"type": "boolean"},
                "license": {"type": "string"},
                "documentationUrl": {"type": "string", "format": "uri"},
                "githubIssueLabel": {"type": "string"},
                "maxSecondsBetweenMessages": {"type": "integer"},
                "releaseDate": {"type": "string", "format": "date"},
                "protocolVersion": {"type": "string"},
                "erdUrl": {"type": "string"},
                "connectorSubtype": {
                    "enum": [
                        "api",
                        "database",
                        "datalake",
                        "file",
                        "custom",
                        "message_queue",
                        "unknown",
                        "vectorstore",
                    ]
                },
                "releaseStage": {"enum": ["alpha", "beta", "generally_available", "custom"]},
                "supportLevel": {"enum": ["community", "certified", "archived"]},
                "tags": {"type": "array", "items": {"type": "string"}},
                "registryOverrides": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"oss": _REGISTRY_OVERRIDE, "cloud": _REGISTRY_OVERRIDE},
                },
                "allowedHosts": {
                    "type": "object",
                    "properties": {"hosts": {"type": "array", "items": {"type": "string"}}},
                },
                "releases": {"type": "object"},
                "normalizationConfig": {"type": "object"},
                "suggestedStreams": {
                    "type": "object",
                    "properties": {"streams": {"type": "array", "items": {"type": "string"}}},
                },
                "resourceRequirements": {"type": "object"},
                "ab_internal": {"type": "object"},
                "remoteRegistries": {
                    "type": "object",
                    "properties": {
                        "pypi": {
                            "type": "object",
                            "required": ["enabled", "packageName"],
                            "properties": {
                                "enabled": {"type": "boolean"},
                                "packageName": {"type": "string"},
                            },
                        }
                    },
                },
                "supportsRefreshes": {"type": "boolean"},
                "supportsFileTransfer": {"type": "boolean"},
                "supportsDataActivation": {"type": "boolean"},
                "generated": {"type": "object"},
                "externalDocumentationUrls": {"type": "array"},
                "connectorIPCOptions": {"type": "object"},
                "language": {"type": "string"},
                "connectorTestSuitesOptions": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["suite"],
                        "additionalProperties": False,
                        "properties": {
                            "suite": {
                                "enum": ["unitTests", "integrationTests", "acceptanceTests", "liveTests"]
                            },
                            "testSecrets": {"type": "array"},
                            "testConnections": {"type": "array"},
                        },
                    },
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def metadata() -> dict:
    return yaml.safe_load(METADATA.read_text())


@pytest.fixture(scope="module")
def data(metadata) -> dict:
    return metadata["data"]


def dockerfile_arg_default(name: str) -> str:
    """The default of `ARG name=...` in the Dockerfile."""
    match = re.search(rf"^ARG {name}=(\S+)\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert match, f"Dockerfile has no `ARG {name}=<default>` line"
    return match.group(1)


def pyproject_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_matches_registry_schema(metadata):
    validator = jsonschema.Draft7Validator(REGISTRY_SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(metadata)]
    assert not errors, "metadata.yaml is not a valid registry entry:\n" + "\n".join(errors)


def test_schema_rejects_what_the_registry_rejects(metadata):
    """The schema above is not vacuous: a missing required field or an unknown key fails."""
    validator = jsonschema.Draft7Validator(REGISTRY_SCHEMA)
    missing = {**metadata, "data": {k: v for k, v in metadata["data"].items() if k != "githubIssueLabel"}}
    unknown = {**metadata, "data": {**metadata["data"], "dockerImage": "x"}}
    bad_enum = {**metadata, "data": {**metadata["data"], "releaseStage": "ga"}}
    for broken in (missing, unknown, bad_enum):
        assert list(validator.iter_errors(broken))


def test_cdk_reads_it_as_a_python_connector():
    """What the CDK's `airbyte-cdk` CLI and standard tests read from metadata.yaml."""
    parsed = MetadataFile.from_file(METADATA)
    assert parsed.data.language == ConnectorLanguage.PYTHON
    assert parsed.data.dockerRepository == "airbyte/source-amplitude-til"
    assert parsed.data.connectorBuildOptions and parsed.data.connectorBuildOptions.baseImage


def test_fields(data, metadata):
    assert metadata["metadataSpecVersion"] == "1.0"
    assert data["connectorType"] == "source"
    assert data["connectorSubtype"] == "api"
    assert uuid.UUID(data["definitionId"]).version == 4
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert data["dockerRepository"] == "airbyte/source-amplitude-til"
    assert data["name"] == "Amplitude (TIL)"
    assert data["documentationUrl"].startswith("https://")
    assert data["allowedHosts"]["hosts"] == ["amplitude.com", "analytics.eu.amplitude.com"]
    assert data["releaseStage"] == "alpha"
    assert data["supportLevel"] == "community"
    assert data["tags"] == ["language:python", "cdk:low-code"]
    assert data["license"] == "MIT"
    assert data["registryOverrides"] == {"oss": {"enabled": True}, "cloud": {"enabled": False}}
    assert data["remoteRegistries"] == {"pypi": {"enabled": False, "packageName": "source-amplitude-til"}}


def test_allowed_hosts_cover_the_manifest_defaults(data):
    """Every default API host in the manifest is allowed (api_base_url is for proxies/emulators)."""
    manifest = (ROOT / "manifest.yaml").read_text()
    hosts = set(re.findall(r"https://([a-z0-9.-]+)/api", manifest))
    assert hosts, "no API host found in manifest.yaml"
    assert hosts <= set(data["allowedHosts"]["hosts"])


def test_versions_agree(data):
    version = pyproject_version()
    assert data["dockerImageTag"] == version, "metadata.yaml dockerImageTag != pyproject.toml version"
    assert dockerfile_arg_default("CONNECTOR_VERSION") == version, "Dockerfile CONNECTOR_VERSION != pyproject.toml version"


def test_package_name_agrees(data):
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert data["dockerRepository"] == f"airbyte/{name}"
    assert data["remoteRegistries"]["pypi"]["packageName"] == name


def test_base_image_is_the_dockerfile_default_and_pinned(data):
    base_image = data["connectorBuildOptions"]["baseImage"]
    assert dockerfile_arg_default("BASE_IMAGE") == base_image
    assert re.fullmatch(r"[a-z0-9./-]+/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", base_image), (
        f"base image is not pinned by digest: {base_image}"
    )
