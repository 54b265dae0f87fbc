"""The package's cohort file decoder: Amplitude's member download in each form it may take."""

import gzip
import io
import json

import pytest
import requests
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_amplitude_til.cohort_file import CohortFileDecoder

# The shape third-party clients read: a header row, then one member per line (properties as asked).
CSV = "amplitude_id,user_id,country,gp:company\n123456789012,ada@example.com,Germany,Acme\n987654321098,,,\n"
ROWS = [
    {"amplitude_id": "123456789012", "user_id": "ada@example.com", "country": "Germany", "gp:company": "Acme"},
    {"amplitude_id": "987654321098", "user_id": None, "country": None, "gp:company": None},
]
MEMBERS = [{"amplitude_id": 123456789012, "user_id": "ada@example.com", "properties": {"country": "Germany"}}]


def response(body: bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    answer.raw = io.BytesIO(body)
    return answer


def decoded(body: bytes) -> list:
    return list(CohortFileDecoder().decode(response(body)))


@pytest.mark.parametrize("body", [CSV.encode(), gzip.compress(CSV.encode()), b"\n" + CSV.encode()])
def test_plain_and_gzipped_csv_give_one_row_per_member_with_empty_cells_null(body):
    assert decoded(body) == ROWS


@pytest.mark.parametrize("document", [MEMBERS, {"cohort_id": "a1b2c3d", "members": MEMBERS}])
def test_a_json_list_of_members_gives_the_same_rows_with_properties_spread(document):
    body = json.dumps(document).encode()
    expected = [{"amplitude_id": 123456789012, "user_id": "ada@example.com", "country": "Germany"}]
    assert decoded(body) == expected
    assert decoded(gzip.compress(body)) == expected


def test_json_of_an_unknown_shape_is_an_error_not_an_empty_cohort():
    with pytest.raises(AirbyteTracedException, match="JSON in a shape the connector does not know"):
        decoded(json.dumps({"a": [1], "b": [2]}).encode())
