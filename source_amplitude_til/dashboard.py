"""Dashboard errors whose body is not JSON, quoted like the JSON ones."""

from dataclasses import dataclass
from typing import Optional, Union

import requests
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

MAX_QUOTED = 500


@dataclass
class QuotingErrorHandler(DefaultErrorHandler):
    """The manifest's Dashboard error handler, quoting a failure's body when it is plain text.

    Amplitude's Dashboard API answers most 400s with a JSON `error`, which the manifest's
    message template quotes; a body that is not JSON reaches that template as `{}`, so the CDK
    would say only "Bad request". Here the same template gets the body's text instead.
    """

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]] = None
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        if resolution.response_action != ResponseAction.FAIL or not isinstance(response_or_exception, requests.Response):
            return resolution
        try:
            response_or_exception.json()
            return resolution
        except requests.exceptions.JSONDecodeError:
            text = response_or_exception.text.strip()[:MAX_QUOTED]
        for response_filter in self.response_filters or []:
            if response_or_exception.status_code in response_filter.http_codes and text:
                message = response_filter.error_message.eval(self.config, response=text)
                if message:
                    return ErrorResolution(resolution.response_action, resolution.failure_type, message)
        return resolution
