"""The packaged connector: `manifest.yaml` as it is, with two components swapped for speed."""

import copy
from importlib import resources
from typing import Any, Mapping, Optional

import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)

COMPONENTS = "source_amplitude_til.components"


def load_manifest() -> dict:
    """The manifest shipped inside the package: the same file users import into the Builder."""
    text = resources.files("source_amplitude_til").joinpath("manifest.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def with_packaged_components(manifest: Mapping[str, Any]) -> dict:
    """Swap in the bounded-memory export decoder and the template-free timestamp rewrite.

    Both emit exactly the records the manifest's own components emit; the field list stays
    in the manifest.
    """
    swapped = copy.deepcopy(dict(manifest))
    events = swapped["definitions"]["streams"]["events"]
    events["retriever"]["decoder"] = {
        "type": "CustomDecoder",
        "class_name": f"{COMPONENTS}.SpooledExportDecoder",
    }
    (timestamps,) = events["transformations"]
    events["transformations"] = [
        {
            "type": "CustomTransformation",
            "class_name": f"{COMPONENTS}.ExportTimestampsToRfc3339",
            "fields": [field["path"][0] for field in timestamps["fields"]],
        }
    ]
    return swapped


class SourceAmplitudeTil(ConcurrentDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[Any] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[Any] = None,
        *,
        packaged_components: bool = True,
    ) -> None:
        manifest = load_manifest()
        if packaged_components:
            manifest = with_packaged_components(manifest)
        super().__init__(source_config=manifest, config=config, catalog=catalog, state=state)
