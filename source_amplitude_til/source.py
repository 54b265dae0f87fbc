"""The packaged connector: `manifest.yaml` as it is, with components swapped in.

Records are identical to the manifest's; the swaps bound memory, save time, and let the events
state move past trailing hours without events.
"""

from importlib import resources
from queue import Queue
from typing import Any, List, Mapping, Optional

import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream

from source_amplitude_til import cdk_seams
from source_amplitude_til.packaged import with_dashboard_retries, with_packaged_components

# libyaml's loader reads the manifest in 15 ms instead of 140 ms (a run may read it three times);
# PyYAML's wheels ship it, a build without it falls back to the same loader in Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifest() -> dict:
    """The manifest shipped inside the package: the same file users import into the Builder."""
    text = resources.files("source_amplitude_til").joinpath("manifest.yaml").read_text("utf-8")
    return yaml.load(text, Loader=_YAML_LOADER)


class SourceAmplitudeTil(ConcurrentDeclarativeSource):
    """The manifest's source, with the package's components and a bounded record queue.

    The CDK's worker threads hand records to the main thread through one queue that holds up
    to 10,000 items. A parsed event is many times its JSON size (about 10 KiB for a 4 KB
    event), so a full queue alone can hold 100 MB; RECORD_QUEUE_ITEMS bounds it. A few hundred
    items keep both sides busy; fewer live events also make each one cheaper to hand over (see
    benchmarks/README.md for the measurements).
    """

    RECORD_QUEUE_ITEMS = 250

    def __init__(
        self,
        catalog: Optional[Any] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[Any] = None,
        *,
        packaged_components: bool = True,
        dashboard_retries: Optional[int] = None,
    ) -> None:
        manifest = load_manifest()
        if packaged_components:
            manifest = with_packaged_components(manifest)
        if dashboard_retries is not None:
            # `check` answers within a minute rather than retrying for minutes like a sync.
            manifest = with_dashboard_retries(manifest, dashboard_retries)
        self._packaged_components = packaged_components
        super().__init__(source_config=manifest, config=config, catalog=catalog, state=state)
        if packaged_components:
            cdk_seams.bound_record_queue(self, self.RECORD_QUEUE_ITEMS)

    @property
    def record_queue(self) -> Queue:
        """The CDK's queue between its worker threads and the main thread."""
        return cdk_seams.record_queue(self)

    def streams(self, config: Mapping[str, Any]) -> List[AbstractStream]:
        streams = super().streams(config)
        if self._packaged_components:
            for stream in streams:
                if stream.name == "events":
                    cdk_seams.checkpoint_completed_hours(stream.cursor)
        return streams
