"""The packaged connector: `manifest.yaml` as it is, with components swapped in.

Records are identical to the manifest's; the swaps bound memory, save time, and let the events
state move past trailing hours without events.
"""

import copy
from importlib import resources
from queue import Queue
from typing import Any, List, Mapping, Optional

import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import (
    ConcurrentDeclarativeSource,
)
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream

from source_amplitude_til import cdk_seams

COMPONENTS = "source_amplitude_til.export"
# libyaml's loader reads the manifest in 15 ms instead of 140 ms (a run may read it three times);
# PyYAML's wheels ship it, a build without it falls back to the same loader in Python.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_manifest() -> dict:
    """The manifest shipped inside the package: the same file users import into the Builder."""
    text = resources.files("source_amplitude_til").joinpath("manifest.yaml").read_text("utf-8")
    return yaml.load(text, Loader=_YAML_LOADER)


def with_packaged_components(manifest: Mapping[str, Any]) -> dict:
    """Swap in the bounded-memory export decoder, template-free events transformations, a
    chart filter that logs the days it drops, a Dashboard error handler that quotes bodies that
    are not JSON, a cohort file decoder that also reads JSON bodies, and log the taxonomy
    streams' ignored 403/404 at WARN level.

    Each emits exactly the records the manifest's own component emits (a cohort's JSON body,
    which the manifest cannot read, aside); the timestamp rule (fields, pattern, replacement),
    field lists, the chart condition and the taxonomy filters stay in the manifest.
    """
    swapped = copy.deepcopy(dict(manifest))
    events = swapped["definitions"]["streams"]["events"]
    events["retriever"]["decoder"] = {
        "type": "CustomDecoder",
        "class_name": f"{COMPONENTS}.SpooledExportDecoder",
    }
    rule = swapped["definitions"]["export_timestamps"]
    (rewrite,) = events["transformations"]
    events["transformations"] = [
        {
            "type": "CustomTransformation",
            "class_name": f"{COMPONENTS}.ExportTimestampsToRfc3339",
            "fields": rule["time_fields"],
            "pattern": rule["time_pattern"],
            "replacement": rule["time_replacement"],
        },
        {
            "type": "CustomTransformation",
            "class_name": "source_amplitude_til.field_types.MixedTypesAsJsonText",
            "fields": rewrite["$parameters"]["mixed_type_fields"],
        },
    ]
    dashboard_errors = swapped["definitions"]["error_handlers"]["dashboard"]
    dashboard_errors.update(type="CustomErrorHandler", class_name="source_amplitude_til.dashboard.QuotingErrorHandler")
    chart_filter = swapped["definitions"]["chart_retriever"]["record_selector"]["record_filter"]
    chart_filter.update(type="CustomRecordFilter", class_name="source_amplitude_til.charts.LoggedChartDayFilter")
    cohort_members = swapped["definitions"]["streams"]["cohort_members"]["retriever"]
    cohort_members["download_decoder"] = {
        "type": "CustomDecoder", "class_name": "source_amplitude_til.cohort_file.CohortFileDecoder"}
    taxonomy_handler = swapped["definitions"]["streams"]["taxonomy_stream"]["retriever"]["requester"]["error_handler"]
    taxonomy_handler["type"] = "CustomErrorHandler"
    taxonomy_handler["class_name"] = "source_amplitude_til.ignored_responses.WarnWhenIgnored"
    return swapped


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
            manifest["definitions"]["error_handlers"]["dashboard"]["max_retries"] = dashboard_retries
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
