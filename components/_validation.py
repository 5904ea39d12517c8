"""Checks shared by the components' constructors.

Each check raises before any child resource exists, with a message that
names the field, the value received and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Any, TypeVar

import pulumi

E = TypeVar("E", bound=Enum)

# Pulumi auto-names a child by appending "-" and 7 random hex characters to
# its logical name, and AWS caps load balancer and target group names at 32.
AUTONAME_SUFFIX_LENGTH = 8


def require_plain(field: str, value: Any) -> None:
    """Raise TypeError when `value` is an Output: `field` must be known now."""
    if isinstance(value, pulumi.Output):
        raise TypeError(
            f"{field} must be a plain value known when the program runs, not an "
            "Output, because it decides which resources are created; pass the "
            "literal value or read it from stack config."
        )


def require_int_in_range(field: str, value: Any, minimum: int, maximum: int) -> int:
    """Return `value` when it is an int within [minimum, maximum]."""
    require_plain(field, value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} must be an integer, got {value!r}.")
    if not minimum <= value <= maximum:
        raise ValueError(
            f"{field} is {value}; it must be between {minimum} and {maximum}."
        )
    return value


def require_one_of(field: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return `value` when it is one of `allowed`."""
    require_plain(field, value)
    allowed = list(allowed)
    if value not in allowed:
        listed = ", ".join(str(a) for a in allowed)
        raise ValueError(f"{field} is {value!r}; allowed values are: {listed}.")
    return value


def coerce_enum(field: str, value: Any, enum_type: type[E]) -> E:
    """Return the member of `enum_type` named by `value` (a member or its value)."""
    require_plain(field, value)
    if isinstance(value, enum_type):
        return value
    for member in enum_type:
        if value == member.value:
            return member
    allowed = ", ".join(repr(m.value) for m in enum_type)
    raise ValueError(f"{field} is {value!r}; allowed values are: {allowed}.")


def require_logical_name_fits(
    component: str, name: str, suffix: str, physical_limit: int
) -> None:
    """Raise when `name + suffix` plus Pulumi's auto-name suffix exceeds a limit.

    Used for children whose AWS name is auto-named from the logical name, such
    as load balancers (32 characters) and IAM roles (64 characters).
    """
    longest = physical_limit - AUTONAME_SUFFIX_LENGTH - len(suffix)
    if len(name) > longest:
        raise ValueError(
            f"{component} name {name!r} is {len(name)} characters; it must be at "
            f"most {longest}, because AWS limits the '{suffix}' child's name to "
            f"{physical_limit} characters. Choose a shorter resource name."
        )


_ABSOLUTE_PATH = re.compile(r"^/([A-Za-z0-9._-]+/?)*$")


def require_absolute_path(field: str, value: Any) -> str:
    """Return `value` when it is an absolute POSIX path without `.` or `..`."""
    require_plain(field, value)
    if not isinstance(value, str) or not _ABSOLUTE_PATH.match(value):
        raise ValueError(
            f"{field} is {value!r}; it must be an absolute path such as '/images', "
            "made of letters, digits, '.', '_' and '-'."
        )
    segments = [s for s in value.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise ValueError(f"{field} is {value!r}; it must not contain '.' or '..'.")
    if len(value) > 100:
        raise ValueError(f"{field} is {len(value)} characters; EFS allows at most 100.")
    return value.rstrip("/") or "/"


def distinct_zones(field: str, zones: Sequence[str], minimum: int = 2) -> list[str]:
    """Return `zones` when each appears once and there are at least `minimum`."""
    seen: dict[str, int] = {}
    for index, zone in enumerate(zones):
        require_plain(f"{field}[{index}].availability_zone", zone)
        if not isinstance(zone, str) or not zone:
            raise ValueError(
                f"{field}[{index}].availability_zone is {zone!r}; it must be an "
                "Availability Zone name such as 'us-east-1a'."
            )
        if zone in seen:
            raise ValueError(
                f"{field}[{seen[zone]}] and {field}[{index}] are both in {zone}; "
                "EFS allows one mount target per Availability Zone, so give "
                "one subnet per zone."
            )
        seen[zone] = index
    if len(seen) < minimum:
        raise ValueError(
            f"{field} covers {len(seen)} Availability Zone(s) ({', '.join(seen)}); "
            f"at least {minimum} are needed for high availability. Add subnets "
            "in other zones."
        )
    return list(seen)
