"""The manifest as the CDK reads it, for the steps `run` takes before it builds the sync's source,
and for the tests, which read every stream's name, key, cursor and time fields here.

The state migration needs each incremental stream's cursor, and the check and annotations
probes need the URL a stream requests. Both follow the manifest wherever its definitions move
(`$ref`, `$parameters`), so they read the CDK's own resolution (the public `resolved_manifest`
of a ConcurrentDeclarativeSource) and let the CDK's HttpRequester render the URL template
with the context it renders it with in a sync.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk import HttpRequester, StreamSlice
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

from source_amplitude_til.source import load_manifest


@lru_cache(maxsize=1)
def resolved_manifest() -> Mapping[str, Any]:
    """The shipped manifest, references resolved and parameters propagated into each component.

    It costs a source build (about 0.1 s; the CDK has no public way to resolve a manifest
    without building the source), so a run builds it once. Read it, never change it.
    """
    return ConcurrentDeclarativeSource(source_config=load_manifest()).resolved_manifest


def stream_url(resolved: Mapping[str, Any], config: Mapping[str, Any], stream_name: str,
               partition: Optional[Mapping[str, Any]] = None) -> str:
    """The URL stream `stream_name` requests for `partition`, rendered by the CDK's requester."""
    (stream,) = [stream for stream in resolved["streams"] if stream["name"] == stream_name]
    requester = stream["retriever"]["requester"]
    rendering = HttpRequester(
        name=stream_name, config=config, parameters=requester.get("$parameters", {}), url=requester["url"]
    )
    return rendering.get_url(stream_slice=StreamSlice(partition=dict(partition or {}), cursor_slice={}))


@dataclass(frozen=True)
class StreamFacts:
    """What a destination and the tests know of one stream, as the resolved manifest says it."""

    name: str
    primary_key: List[str]
    cursor_field: Optional[str]
    # Fields the stream's field rewrite turns into RFC3339 times (`field_rewrite`).
    time_fields: List[str]
    # Fields declared strings that the field rewrite writes as JSON text when not strings.
    mixed_type_fields: List[str]


def stream_facts(resolved: Optional[Mapping[str, Any]] = None) -> Dict[str, StreamFacts]:
    """Stream name -> its facts, in the manifest's order (the order `discover` lists them)."""
    facts = {}
    for stream in (resolved or resolved_manifest())["streams"]:
        key = stream.get("primary_key") or []
        facts[stream["name"]] = StreamFacts(
            name=stream["name"],
            primary_key=[key] if isinstance(key, str) else list(key),
            cursor_field=(stream.get("incremental_sync") or {}).get("cursor_field"),
            time_fields=list(stream.get("$parameters", {}).get("time_fields", [])),
            mixed_type_fields=list(stream.get("$parameters", {}).get("mixed_type_fields", [])),
        )
    return facts
