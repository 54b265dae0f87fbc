"""A response the manifest ignores on purpose, logged as a WARN rather than the CDK's INFO."""

import logging
from dataclasses import dataclass
from typing import Optional, Union

import requests
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from source_amplitude_til.dashboard import QuotingErrorHandler

LOGGER = logging.getLogger("airbyte")


@dataclass
class WarnWhenIgnored(QuotingErrorHandler):
    """Amplitude's taxonomy API answers 403 or 404 on plans without it; the manifest makes that an
    empty stream (IGNORE) and this says why at WARN level, once per ignored response. Its 400s
    are quoted like every Dashboard endpoint's (QuotingErrorHandler)."""

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]] = None
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action == ResponseAction.IGNORE and resolution.error_message:
            LOGGER.warning(resolution.error_message)
        return resolution
