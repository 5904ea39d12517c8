"""A plain view of the resources that policies inspect.

The Pulumi policy host hands a policy its properties wrapped in proxies that
raise `UnknownValueError` on any value a preview cannot know yet. The checks
in this package unwrap them with `plain()` and test for unknowns themselves,
so one unknown value skips one check instead of the whole policy.

`Resource` is the common shape: the policy host's `ResourceValidationArgs`
and `PolicyResource` and the offline engine's `Registration` all convert to
it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Secret
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    _DictProxy,
    _ListProxy,
)

UNKNOWN_VALUES = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)
"""The sentinels Pulumi puts in place of values a preview cannot know."""


def is_unknown(value: Any) -> bool:
    """Return whether `value` is a preview's placeholder for an unknown value."""
    return isinstance(value, str) and value in UNKNOWN_VALUES


def contains_unknown(value: Any) -> bool:
    """Return whether `value` or anything nested in it is unknown."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(item) for item in value)
    return False


def plain(value: Any) -> Any:
    """Return `value` with the policy host's proxies and secrets removed.

    Unknown values stay as their sentinel strings instead of raising, so the
    caller decides what an unknown means for its check.
    """
    if isinstance(value, _DictProxy):
        return {key: plain(item) for key, item in value["__target"].items()}
    if isinstance(value, _ListProxy):
        return [plain(item) for item in value["__target"]]
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


class UnknownDuringPreviewError(UnknownValueError):
    """A check that was skipped because a value it needs is not known yet.

    The policy host reports this exception as an advisory diagnostic, and
    `policy.runner` turns each entry of `skipped` into an advisory finding.
    """

    def __init__(self, skipped: Sequence[tuple[str, str]]) -> None:
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.skipped = list(skipped)
        """(URN, reason) for each skipped check."""
        self.message = "; ".join(reason for _, reason in self.skipped)

    def __str__(self) -> str:
        return self.message


@dataclasses.dataclass
class Resource:
    """One resource's type, names, properties and dependencies."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    """Plain camelCase properties; unknown values are sentinel strings."""
    id: str = ""
    """The physical id, when the source passes one (the offline engine does)."""
    parent: str = ""
    dependencies: tuple[str, ...] = ()
    """URNs this resource depends on, from `depends_on` and its inputs."""
    property_dependencies: dict[str, tuple[str, ...]] = dataclasses.field(
        default_factory=dict
    )

    def get(self, key: str, default: Any = None) -> Any:
        """Return one property, or `default` when it is absent or null."""
        value = self.props.get(key)
        return default if value is None else value

    @property
    def label(self) -> str:
        """The short type and logical name used in messages."""
        return f"{short_type(self.type)} '{self.name}'"


def short_type(type_token: str) -> str:
    """Return `Role` for `aws:iam/role:Role`, the last part of a type token."""
    return type_token.rsplit(":", 1)[-1]


def from_validation_args(args: ResourceValidationArgs) -> Resource:
    """Convert the policy host's per-resource arguments."""
    parent = getattr(args.opts, "parent", None) or ""
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=plain(args.props),
        parent=parent,
    )


def from_policy_resources(resources: Iterable[PolicyResource]) -> list[Resource]:
    """Convert the policy host's stack resources, keeping parents and edges."""
    converted = []
    for resource in resources:
        parent = resource.parent.urn if resource.parent is not None else ""
        if not parent:
            parent = getattr(resource.opts, "parent", None) or ""
        converted.append(
            Resource(
                type=resource.resource_type,
                name=resource.name,
                urn=resource.urn,
                props=plain(resource.props),
                parent=parent,
                dependencies=tuple(d.urn for d in resource.dependencies),
                property_dependencies={
                    key: tuple(d.urn for d in deps)
                    for key, deps in resource.property_dependencies.items()
                },
            )
        )
    return converted


def registration_props(registration: Any) -> dict[str, Any]:
    """Return a registration's inputs overlaid with its mock outputs.

    The outputs add computed values such as ARNs and auto-names. `id` is
    added when absent, from the registration's physical id.
    """
    props: dict[str, Any] = {**registration.inputs, **registration.outputs}
    if registration.id and "id" not in props:
        props["id"] = registration.id
    return props


def from_registration(registration: Any) -> Resource:
    """Convert one `offline.engine.Registration`."""
    return Resource(
        type=registration.type,
        name=registration.name,
        urn=registration.urn,
        props=plain(registration_props(registration)),
        id=registration.id,
        parent=registration.parent,
        dependencies=tuple(registration.dependencies),
        property_dependencies={
            key: tuple(urns) for key, urns in registration.property_dependencies.items()
        },
    )


# Sources of a resource's id when the caller does not pass it: the ARN's
# last path segment for these types, or one property for the others.
_ID_FROM_ARN = {
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:efs/fileSystem:FileSystem",
    "aws:efs/accessPoint:AccessPoint",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
}
_ID_PROPERTY = {
    "aws:iam/role:Role": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:ecs/cluster:Cluster": "arn",
    "aws:ecs/service:Service": "arn",
    "aws:lb/loadBalancer:LoadBalancer": "arn",
    "aws:lb/targetGroup:TargetGroup": "arn",
    "aws:lb/listener:Listener": "arn",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:lambda/function:Function": "name",
    "awsx:ec2:Vpc": "vpcId",
}


def identities(resource: Resource) -> set[str]:
    """Return every string another resource may use to refer to this one.

    That is the physical id, the ARN and, for types whose id is a name or
    an ARN, that value. Unknown and empty values are left out.
    """
    found = {resource.id, str(resource.get("id", "")), str(resource.get("arn", ""))}
    arn = resource.get("arn")
    if resource.type in _ID_FROM_ARN and isinstance(arn, str) and "/" in arn:
        found.add(arn.rsplit("/", 1)[-1])
    key = _ID_PROPERTY.get(resource.type)
    if key is not None:
        found.add(str(resource.get(key, "")))
    if resource.type == "aws:ecs/taskDefinition:TaskDefinition":
        found.add(str(resource.get("arnWithoutRevision", "")))
        family, revision = resource.get("family"), resource.get("revision")
        if family:
            found.add(str(family))
            if revision is not None:
                found.add(f"{family}:{revision}")
    return {value for value in found if value and not is_unknown(value)}


def physical_id(resource: Resource) -> str:
    """Return the id other resources use for this one, or "" if unknown."""
    if resource.id:
        return resource.id
    explicit = resource.get("id")
    if isinstance(explicit, str) and explicit and not is_unknown(explicit):
        return explicit
    arn = resource.get("arn")
    if resource.type in _ID_FROM_ARN:
        if isinstance(arn, str) and "/" in arn and not is_unknown(arn):
            return arn.rsplit("/", 1)[-1]
        return ""
    key = _ID_PROPERTY.get(resource.type)
    value = resource.get(key) if key else None
    if isinstance(value, str) and not is_unknown(value):
        return value
    return ""


class ResourceIndex:
    """Look-ups over one stack's resources by type, URN and reference."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self._by_type: dict[str, list[Resource]] = {}
        self._by_identity: dict[str, list[Resource]] = {}
        self._children: dict[str, list[Resource]] = {}
        for resource in self.resources:
            self._by_type.setdefault(resource.type, []).append(resource)
            for identity in identities(resource):
                self._by_identity.setdefault(identity, []).append(resource)
            if resource.parent:
                self._children.setdefault(resource.parent, []).append(resource)

    def of_type(self, *types: str) -> list[Resource]:
        """Return the resources of these type tokens, in stack order."""
        found: list[Resource] = []
        for type_token in types:
            found += self._by_type.get(type_token, [])
        return found

    def referenced(self, value: Any, *types: str) -> Resource | None:
        """Return the resource of one of `types` that `value` names, if any."""
        if not isinstance(value, str) or not value or is_unknown(value):
            return None
        for resource in self._by_identity.get(value, []):
            if not types or resource.type in types:
                return resource
        return None

    def children(self, urn: str) -> list[Resource]:
        """Return the resources whose parent is `urn`."""
        return self._children.get(urn, [])

    def depends_on(self, resource: Resource, target_urn: str) -> bool:
        """Return whether `resource` waits for `target_urn` before it is created.

        Edges are explicit and input dependencies, followed transitively, and
        a dependency on a component counts as one on each of its descendants,
        as Pulumi expands `depends_on` for components.
        """
        seen: set[str] = set()
        pending = list(_edges(resource))
        while pending:
            urn = pending.pop()
            if urn in seen:
                continue
            seen.add(urn)
            if urn == target_urn:
                return True
            for child in self.children(urn):
                pending.append(child.urn)
            found = self.by_urn.get(urn)
            if found is not None:
                pending.extend(_edges(found))
        return False


def _edges(resource: Resource) -> list[str]:
    edges = list(resource.dependencies)
    for urns in resource.property_dependencies.values():
        edges.extend(urns)
    return edges


def parse_json_document(value: Any) -> tuple[Any, str]:
    """Parse a JSON string property; return (document, error message or "")."""
    if isinstance(value, (dict, list)):
        return value, ""
    if not isinstance(value, str):
        return None, f"expected a JSON string, got {type(value).__name__}"
    try:
        return json.loads(value), ""
    except json.JSONDecodeError as error:
        return None, f"invalid JSON ({error})"


def as_list(value: Any) -> list[Any]:
    """Return `value` as a list: [] for None, [value] for a scalar."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
