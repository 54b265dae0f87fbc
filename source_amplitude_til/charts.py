"""Dashboard chart days without a value, dropped as the manifest drops them, and logged."""

import logging
from dataclasses import InitVar, dataclass
from typing import Any, Iterable, Mapping, Optional

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
