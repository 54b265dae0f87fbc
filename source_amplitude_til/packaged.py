"""The package's components, each swapped in for one named definition of `manifest.yaml`.

The streams reach these definitions by `$ref`, so a swap reaches every stream that uses the
definition, and the definition's own settings (a filter's condition, a handler's filters, the
`$parameters` of the field rewrite) stay in the manifest. Each component emits exactly the
records of the definition it replaces (a cohort's JSON body, which the manifest cannot read,
aside); it bounds memory, saves time, or says more in the log.
"""

import copy
from typing import Any, Mapping

from airbyte_cdk.sources.declarative.decoders.decoder import Decoder
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.transformations import RecordTransformation

from source_amplitude_til.charts import LoggedChartDayFilter, SegmentationExtractor
from source_amplitude_til.cohort_file import CohortFileDecoder
from source_amplitude_til.dashboard import QuotingErrorHandler
from source_amplitude_til.export import SpooledExportDecoder
from source_amplitude_til.field_types import FieldRewrite
from source_amplitude_til.ignored_responses import WarnWhenIgnored

DASHBOARD_ERRORS = "#/definitions/error_handlers/dashboard"

SWAPS = {
    "#/definitions/export_decoder": SpooledExportDecoder,
    "#/definitions/field_rewrite": FieldRewrite,
    "#/definitions/chart_day_filter": LoggedChartDayFilter,
    "#/definitions/segmentation_extractor": SegmentationExtractor,
    # Every handler that lists error_handlers/rejected_request quotes plain-text 400s
    # (unit_tests/test_manifest.py holds the manifest to that).
    DASHBOARD_ERRORS: QuotingErrorHandler,
    "#/definitions/error_handlers/annotations": QuotingErrorHandler,
    "#/definitions/error_handlers/taxonomy": WarnWhenIgnored,
    "#/definitions/cohort_file_decoder": CohortFileDecoder,
}

# The manifest type that names a custom class, by the CDK base class it extends.
_CUSTOM_TYPES = {
    Decoder: "CustomDecoder",
    RecordExtractor: "CustomRecordExtractor",
    RecordTransformation: "CustomTransformation",
    RecordFilter: "CustomRecordFilter",
    DefaultErrorHandler: "CustomErrorHandler",
}


def definition(manifest: Mapping[str, Any], reference: str) -> dict:
    """The definition a `$ref` such as "#/definitions/error_handlers/dashboard" names."""
    node = manifest
    for key in reference.removeprefix("#/").split("/"):
        node = node[key]
    return node


def with_packaged_components(manifest: Mapping[str, Any]) -> dict:
    """The manifest with each definition of SWAPS replaced by its class (see the module doc)."""
    swapped = copy.deepcopy(dict(manifest))
    for reference, component in SWAPS.items():
        (custom_type,) = [name for base, name in _CUSTOM_TYPES.items() if issubclass(component, base)]
        definition(swapped, reference).update(
            type=custom_type, class_name=f"{component.__module__}.{component.__qualname__}"
        )
    return swapped


def with_dashboard_retries(manifest: Mapping[str, Any], retries: int) -> dict:
    """The manifest with Dashboard requests retried `retries` times."""
    changed = copy.deepcopy(dict(manifest))
    definition(changed, DASHBOARD_ERRORS)["max_retries"] = retries
    return changed
