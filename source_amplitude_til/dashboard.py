"""Dashboard errors whose body is not JSON, quoted like the JSON ones."""

import copy
from dataclasses import dataclass
from typing import Optional, Union

import requests
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

MAX_QUOTED = 500


@dataclass
class QuotingErrorHandler(DefaultErrorHandler):
    """A manifest error handler listing `error_handlers/rejected_request`, quoting a failure's
    body when it is plain text.

    Amplitude's Dashboard endpoints (charts, annotations, cohorts, events list, taxonomy) answer
    most 400s with a JSON `error` or `errors`, which the manifest's message template quotes; a
    body that is not JSON reaches that template as `{}`, so the CDK would say only "Bad request".
    Here the manifest's filters interpret the same response once more, with its text as the body
    the template quotes (the template accepts a plain string).
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
        if not text:
            return resolution
        return super().interpret_response(_with_text_as_json(response_or_exception, text))


def _with_text_as_json(response: requests.Response, text: str) -> requests.Response:
    """A copy of `response` whose `json()` is `text`: the CDK's filters render their message
    from what `json()` returns (with the response's headers and URL, as for any response)."""
    quoted = copy.copy(response)
    quoted.json = lambda **kwargs: text
    return quoted
