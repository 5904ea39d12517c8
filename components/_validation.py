"""Checks shared by the components' constructors.

Each check raises before any child resource exists, with a message that
names the field, the value received and what is allowed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
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


# Each segment is a '/' and characters other than '/', so a failed match
# cannot backtrack through ways of splitting one segment.
_ABSOLUTE_PATH = re.compile(r"/|(/[A-Za-z0-9._-]+)+/?")


def require_absolute_path(field: str, value: Any) -> str:
    """Return `value` when it is an absolute POSIX path without `.` or `..`."""
    require_plain(field, value)
    if isinstance(value, str) and len(value) > 100:
        raise ValueError(f"{field} is {len(value)} characters; EFS allows at most 100.")
    if not isinstance(value, str) or not _ABSOLUTE_PATH.fullmatch(value):
        raise ValueError(
            f"{field} is {value!r}; it must be an absolute path such as '/images', "
            "made of letters, digits, '.', '_' and '-'."
        )
    segments = [s for s in value.split("/") if s]
    if any(s in (".", "..") for s in segments):
        raise ValueError(f"{field} is {value!r}; it must not contain '.' or '..'.")
    return value.rstrip("/") or "/"


def require_bool(field: str, value: Any) -> bool:
    """Return `value` when it is a bool; strings such as 'false' are rejected."""
    require_plain(field, value)
    if not isinstance(value, bool):
        raise TypeError(f"{field} must be true or false (a bool), got {value!r}.")
    return value


def require_mapping(field: str, value: Any) -> Mapping[str, Any]:
    """Return `value` when it is a mapping with string keys."""
    require_plain(field, value)
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TypeError(
            f"{field} must be a mapping from a label to a value, such as "
            f"{{'ui': 'sg-0123456789abcdef0'}}, got {value!r}."
        )
    return value


def require_text_or_output(field: str, value: Any) -> Any:
    """Return `value` when it is a non-empty string or an Output."""
    if isinstance(value, pulumi.Output):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field} is {value!r}; it must be a non-empty string.")
    return value


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


def require_ingress_cidrs(field: str, cidrs: Any) -> list[str]:
    """Return `cidrs` normalized, when each is a distinct IPv4 CIDR range.

    The load balancer listens on IPv4 only, so an IPv6 range would admit no
    one. Two spellings of one range would make two identical rules, which AWS
    rejects.
    """
    require_plain(field, cidrs)
    if not isinstance(cidrs, (list, tuple)) or not cidrs:
        raise ValueError(
            f"{field} is empty; give the CIDR ranges that may reach the load "
            "balancer, such as the VPC's range."
        )
    normalized: dict[str, int] = {}
    for index, cidr in enumerate(cidrs):
        try:
            if not isinstance(cidr, str):
                raise TypeError("not a string")
            network = ipaddress.ip_network(cidr, strict=True)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{field}[{index}] is {cidr!r}, which is not a CIDR range "
                f"({error}); give one such as '10.0.0.0/16'."
            ) from None
        if network.version != 4:
            raise ValueError(
                f"{field}[{index}] is {cidr!r}, an IPv6 range; the load balancer "
                "listens on IPv4 only, so give IPv4 ranges."
            )
        if str(network) in normalized:
            raise ValueError(
                f"{field}[{index}] is {cidr!r}, the same range as "
                f"{field}[{normalized[str(network)]}]; list each range once."
            )
        normalized[str(network)] = index
    return list(normalized)


# Extensions of image formats browsers display. The sync function writes
# only these, so nothing executable reaches the folder nginx serves.
IMAGE_EXTENSIONS = frozenset(
    (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp")
)


def require_image_extensions(field: str, extensions: Any) -> list[str]:
    """Return `extensions` when it is a non-empty list of image extensions."""
    require_plain(field, extensions)
    if not isinstance(extensions, (list, tuple)):
        raise TypeError(f"{field} must be a list of extensions, got {extensions!r}.")
    for extension in extensions:
        if not isinstance(extension, str) or not re.fullmatch(
            r"\.[a-z0-9]{1,10}", extension
        ):
            raise ValueError(
                f"{field} has {extension!r}; give lowercase extensions with the "
                "dot, such as '.jpg'."
            )
        if extension not in IMAGE_EXTENSIONS:
            allowed = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise ValueError(
                f"{field} has {extension!r}, which is not an image type; allowed "
                f"extensions are: {allowed}."
            )
    if not extensions:
        raise ValueError(
            f"{field} is empty; the function would reject every image. Give at "
            "least one extension, such as '.jpg'."
        )
    return list(extensions)


def require_images_path(field: str, value: Any) -> str:
    """Return `value` when it is an absolute directory path other than '/'."""
    path = require_absolute_path(field, value)
    if path == "/":
        raise ValueError(
            f"{field} is '/'; give a directory such as '/images' so that EFS "
            "creates it with the access point's owner."
        )
    return path


def require_subnets(field: str, subnets: Any) -> list[Any]:
    """Return `subnets` when each has an id and a distinct AZ, in two or more AZs."""
    require_plain(field, subnets)
    if not isinstance(subnets, (list, tuple)):
        raise TypeError(
            f"{field} must be a list of {{'subnet_id': ..., 'availability_zone': "
            f"...}} entries, got {subnets!r}."
        )
    for index, subnet in enumerate(subnets):
        if not isinstance(subnet, Mapping) or not {
            "subnet_id",
            "availability_zone",
        } <= set(subnet):
            raise TypeError(
                f"{field}[{index}] is {subnet!r}; give a mapping with subnet_id "
                "and availability_zone."
            )
        require_text_or_output(f"{field}[{index}].subnet_id", subnet["subnet_id"])
    distinct_zones(field, [s["availability_zone"] for s in subnets])
    return list(subnets)


def require_distinct_ids(field: str, ids: Any, minimum: int) -> None:
    """Raise when a plain list of ids has duplicates or fewer than `minimum`.

    An Output list is checked by the provider when it resolves.
    """
    if isinstance(ids, pulumi.Output):
        return
    if not isinstance(ids, (list, tuple)):
        raise TypeError(f"{field} must be a list of ids, got {ids!r}.")
    if len(ids) < minimum:
        raise ValueError(
            f"{field} has {len(ids)} id(s); give at least {minimum}, in different "
            "Availability Zones."
        )
    duplicates = sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1})
    if duplicates:
        raise ValueError(
            f"{field} lists {', '.join(duplicates)} more than once; list each once."
        )
