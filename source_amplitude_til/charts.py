"""Dashboard charts: days without a value dropped as the manifest drops them, and logged;
segmentation groups expanded without copying the chart per group."""

import logging
from dataclasses import InitVar, dataclass
from typing import Any, Iterable, Mapping, MutableMapping, Optional
from urllib.parse import parse_qs, urlsplit

import dpath
import requests
from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.types import StreamSlice, StreamState

logger = logging.getLogger("airbyte")


@dataclass
class LoggedChartDayFilter(RecordFilter):
    """The manifest's chart filter, plus one log line per chart naming the days it dropped.

    Amplitude's `series` rows can be shorter than `xValues`: the days past their end have no
    value, so they get no record. The condition stays the manifest's.
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._endpoint = parameters.get("api_path", "")

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        days = list(records)
        kept = list(super().filter_records(days, stream_state, stream_slice, next_page_token))
        kept_ids = {id(day) for day in kept}
        dropped = [str(day.get("value")) for day in days if id(day) not in kept_ids]
        if dropped:
            logger.warning(
                f"Amplitude's chart {self._endpoint} has no value for {len(dropped)} day(s) "
                f"({', '.join(dropped)}); no record is emitted for them."
            )
        return kept


@dataclass
class SegmentationExtractor(DpathExtractor):
    """The manifest's segmentation extractor, its record expander's parent fields shared, not copied.

    The CDK's RecordExpander deep-copies each parent field onto each expanded item, so a chart of
    n groups costs n copies of its n-long lists: a day's time grows with the square of its
    groups. The transformations only read the lists and then drop them, so every record can
    hold the answer's own lists. The expansion path and the parent fields stay the manifest's.
    """

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        expander = self.record_expander
        self._expand_path = [str(segment) for segment in expander.expand_records_from_field]
        self._parent_fields = [(field.evaluated_parent_path(), field.evaluated_record_path())
                               for field in expander.parent_fields or []]
        self.record_expander = None

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        for chart in super().extract_records(response):
            # As the CDK's expander: a value that is not an object is passed on as it is.
            if not isinstance(chart, Mapping):
                yield chart
                continue
            self._warn_if_at_limit(chart, response)
            shared = [(record_path, _value_at(chart, parent_path)) for parent_path, record_path in self._parent_fields]
            for items in dpath.values(chart, self._expand_path):
                if not isinstance(items, list):
                    continue
                for item in items:
                    record = dict(item) if isinstance(item, dict) else {"value": item}
                    for record_path, value in shared:
                        dpath.new(record, record_path, value)
                    yield record

    @staticmethod
    def _warn_if_at_limit(chart: Mapping[str, Any], response: requests.Response) -> None:
        (limit, *_) = parse_qs(urlsplit(response.request.url or "").query).get("limit", ["0"])
        groups = len(chart.get("seriesLabels") or chart.get("seriesMeta") or [])
        if limit.isdigit() and groups >= int(limit) > 0:
            days = chart.get("xValues") or []
            logger.warning(
                f"Amplitude's event segmentation answer for {', '.join(map(str, days))} has {groups} groups, "
                f"the request's limit: groups past Amplitude's top {limit} are not in it and get no record."
            )


def _value_at(chart: Mapping[str, Any], path: list) -> Any:
    """The value at a path of plain keys, or None, as the CDK's parent fields read it."""
    value: Any = chart
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value
