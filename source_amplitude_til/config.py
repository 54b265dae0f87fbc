"""Config checks that name the field and the fix, before the CDK sees the config.

The spec's JSON schema rejects the same configs, but its messages name neither the field nor
what to enter; these run first in the packaged CLI. Values of secret fields are never quoted.
"""

from datetime import datetime
from typing import Any, List, Mapping, Optional
from urllib.parse import urlsplit

REGIONS = ("Standard Server", "EU Residency Server")
DATE_FORMATS = {10: "%Y-%m-%d", 20: "%Y-%m-%dT%H:%M:%SZ"}
DATE_HELP = "use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC), for example 2024-01-01"
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def _parse_date(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or len(value) not in DATE_FORMATS:
        return None
    try:
        return datetime.strptime(value, DATE_FORMATS[len(value)])
    except ValueError:
        return None


def _integer_problem(config: Mapping[str, Any], name: str, low: int, high: int, meaning: str) -> Optional[str]:
    value = config.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"{name} is {value!r}: it must be a whole number of {meaning} from {low} to {high}."
    return None


def config_problems(config: Mapping[str, Any]) -> List[str]:
    """Every problem in `config`, each naming its field and what to enter instead."""
    problems = []
    for name, where in (("api_key", "API key"), ("secret_key", "secret key")):
        if not isinstance(config.get(name), str) or not config[name].strip():
            problems.append(
                f"{name} is missing or empty: copy the project's {where} from Amplitude "
                "(Settings > Projects > your project > General)."
            )
    start = _parse_date(config.get("start_date"))
    if "start_date" not in config:
        problems.append(f"start_date is missing: {DATE_HELP}.")
    elif start is None:
        problems.append(f"start_date is {config['start_date']!r}, not a date: {DATE_HELP}.")
    if config.get("end_date") is not None:
        end = _parse_date(config["end_date"])
        if end is None:
            problems.append(f"end_date is {config['end_date']!r}, not a date: {DATE_HELP}, or leave it out.")
        elif start is not None and end <= start:
            problems.append(
                f"end_date ({config['end_date']}) is not after start_date ({config['start_date']}): "
                "set it later, or leave it out to sync up to now."
            )
    region = config.get("data_region", REGIONS[0])
    if region not in REGIONS:
        problems.append(f"data_region is {region!r}: it must be 'Standard Server' or 'EU Residency Server'.")
    problems += filter(None, [
        _integer_problem(config, "request_time_range", 1, 8760, "hours per export request"),
        _integer_problem(config, "export_delay_hours", 0, 72, "hours"),
    ])
    group = config.get("active_users_group_by_country")
    if group is not None and not isinstance(group, bool):
        problems.append(f"active_users_group_by_country is {group!r}: it must be true or false.")
    problems += filter(None, [
        _string_list_problem(config, "segmentation_event_types", "event types, e.g. [\"[Amplitude] Page Viewed\"]"),
        _string_list_problem(config, "cohort_ids", "cohort ids, e.g. [\"a1b2c3d\"] (the cohorts stream lists them)"),
        _string_list_problem(config, "cohort_member_properties", "user property names, e.g. [\"country\"]"),
    ])
    group_by = config.get("segmentation_group_by")
    if group_by is not None and not isinstance(group_by, str):
        problems.append(
            f"segmentation_group_by is {group_by!r}: it must be a property name such as "
            "'[Amplitude] Page Path', or empty for no grouping."
        )
    base_url = config.get("api_base_url")
    if base_url:
        problems += _base_url_problems(base_url)
    return problems


def _string_list_problem(config: Mapping[str, Any], name: str, example: str) -> Optional[str]:
    value = config.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        return f"{name} is {value!r}: it must be a list of {example}."
    return None


def read_notes(config: Mapping[str, Any], stream_names: List[str]) -> List[str]:
    """What a read will leave out because of the config, each with how to change it."""
    notes = []
    if "cohort_members" in stream_names and not config.get("cohort_ids"):
        notes.append(
            "cohort_members: cohort_ids is empty, so no cohort is downloaded and the stream emits nothing. "
            "List the ids of the cohorts whose members to sync (the cohorts stream shows them)."
        )
    return notes


def _base_url_problems(base_url: Any) -> List[str]:
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts and parts.scheme == "https" and parts.hostname:
        return []
    if parts and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return []
    return [
        f"api_base_url is {base_url!r}: it must start with https:// (http:// is allowed only for "
        "localhost or 127.0.0.1), or be left out to use data_region's Amplitude address."
    ]
