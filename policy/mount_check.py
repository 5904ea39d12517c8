"""Prove from the registered resources that ECS tasks can mount their EFS volumes.

For every `aws:ecs/taskDefinition:TaskDefinition` with an
`efsVolumeConfiguration` volume, and every `aws:ecs/service:Service` that
runs it, the check proves each condition a Fargate task needs to mount the
volume and reports each one that fails with the resource, the reason and
the fix:

- each service subnet lies in an Availability Zone that has a mount target
  of the file system, and the service depends on every mount target;
- TCP 2049 is open from the task security groups to the mount-target
  security groups, both as ingress on the latter and egress on the former;
- transit encryption is on wherever IAM authorization or an access point
  is used, and with an access point the volume's rootDirectory is / or
  unset;
- the access point belongs to the volume's file system;
- the task role (not the execution role) is allowed
  `elasticfilesystem:ClientMount`, and `ClientWrite` when a container
  mounts the volume writable, on the file system, and the file system
  policy neither denies it nor leaves it out of its Allow statements;
- the platform version mounts EFS (LATEST or 1.4.0 and later) and the VPC
  has DNS support and DNS hostnames.

Availability Zones come from mount target outputs (`availabilityZoneName`),
from subnets and awsx VPCs in the stack, and from `NetworkFacts` for
subnets that exist outside it. A value that is unknown (preview) or not
described anywhere is reported as a `Skip`, never guessed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Generator, Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import StackValidationPolicy

from policy import iam
from policy.aws_controls import container_definitions, runs_on_fargate
from policy.base import (
    MANDATORY,
    Outcome,
    PolicyInfo,
    Skip,
    Violation,
    network_schema,
    stack_policy,
)
from policy.network import (
    NETWORK_CONFIG_PROPERTIES,
    Network,
    NetworkFacts,
    build_network,
)
from policy.resources import (
    Resource,
    ResourceIndex,
    as_list,
    contains_unknown,
    from_registration,
    identities,
    is_unknown,
    physical_id,
)

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
FILE_SYSTEM_POLICY = "aws:efs/fileSystemPolicy:FileSystemPolicy"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_POLICY = "aws:iam/policy:Policy"

NFS_PORT = 2049
CLIENT_MOUNT = "elasticfilesystem:ClientMount"
CLIENT_WRITE = "elasticfilesystem:ClientWrite"

MOUNT_CHECK_INFO = PolicyInfo(
    name="efs-mount-check",
    controls=(),
    severity="high",
    enforcement=MANDATORY,
    description="Every ECS task definition with an EFS volume can mount it: mount "
    "targets in the service's zones, NFS open both ways, transit encryption, a "
    "matching access point, task role and file system policy grants, a platform "
    "version and VPC DNS that support EFS.",
    remediation="Each violation names the resource at fault and its fix.",
)

# AWS managed policies that grant EFS client actions on every file system,
# from the AWS Managed Policy reference. Anything else attached by ARN from
# outside the stack cannot be read here.
AWS_MANAGED_EFS_CLIENT_POLICIES: dict[str, tuple[str, ...]] = {
    "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess": (
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
        "elasticfilesystem:ClientRootAccess",
    ),
    "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadWriteAccess": (
        "elasticfilesystem:ClientMount",
        "elasticfilesystem:ClientWrite",
    ),
    "arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadOnlyAccess": (
        "elasticfilesystem:ClientMount",
    ),
}


@dataclasses.dataclass
class _Volume:
    """One EFS volume of a task definition, with what it resolves to."""

    task: Resource
    name: str
    config: dict[str, Any]
    file_system: Resource
    access_point: Resource | None
    mount_targets: list[Resource]

    @property
    def label(self) -> str:
        return f"{self.task.label} volume '{self.name}'"

    @property
    def file_system_id(self) -> str:
        return str(self.config.get("fileSystemId"))

    @property
    def iam_enabled(self) -> bool:
        return (self.config.get("authorizationConfig") or {}).get("iam") == "ENABLED"

    @property
    def access_point_id(self) -> Any:
        return (self.config.get("authorizationConfig") or {}).get("accessPointId")

    @property
    def transit_encrypted(self) -> bool:
        return self.config.get("transitEncryption") == "ENABLED"


def _violation(resource: Resource, problem: str, fix: str) -> Violation:
    return Violation(f"{resource.label}: {problem}. Fix: {fix}", resource.urn)


def _skip(resource: Resource, reason: str) -> Skip:
    return Skip(f"{resource.label}: {reason}", resource.urn)


def check_mounts(
    index: ResourceIndex, facts: NetworkFacts | None = None
) -> Iterator[Outcome]:
    """Yield a Violation or Skip for each mount condition that is not proven."""
    network = build_network(index, facts)
    checked_services: set[str] = set()
    for task in index.of_type(TASK_DEFINITION):
        volumes = task.props.get("volumes")
        if contains_unknown(volumes):
            yield _skip(task, "volumes are not known during preview")
            continue
        efs_volumes = [
            v
            for v in as_list(volumes)
            if isinstance(v, dict) and v.get("efsVolumeConfiguration")
        ]
        if not efs_volumes:
            continue
        services, unresolved = _services_of(index, task)
        yield from unresolved
        for raw in efs_volumes:
            volume = yield from _resolve_volume(index, task, raw)
            if volume is None:
                continue
            encryption = list(_check_encryption(volume))
            yield from encryption
            yield from _check_access_point(volume)
            # Without the required TLS the mount is refused before IAM is
            # consulted, so grants are checked once encryption is fixed.
            if not encryption:
                yield from _check_grants(index, volume)
            if not volume.mount_targets:
                yield _violation(
                    volume.file_system,
                    f"has no mount targets, so task definition '{task.name}' "
                    f"volume '{volume.name}' cannot be mounted",
                    "add an aws.efs.MountTarget in a private subnet of each zone "
                    "the service runs in",
                )
                continue
            for service in services:
                yield from _check_zones(index, network, volume, service)
                yield from _check_nfs_path(index, network, volume, service)
        for service in services:
            if service.urn not in checked_services:
                checked_services.add(service.urn)
                yield from _check_platform(service)
                yield from _check_dns(network, service)


def _services_of(
    index: ResourceIndex, task: Resource
) -> tuple[list[Resource], list[Outcome]]:
    services: list[Resource] = []
    unresolved: list[Outcome] = []
    for service in index.of_type(SERVICE):
        reference = service.props.get("taskDefinition")
        if is_unknown(reference):
            unresolved.append(
                _skip(service, "taskDefinition is not known during preview")
            )
        elif index.referenced(reference, TASK_DEFINITION) is task:
            services.append(service)
    return services, unresolved


def _resolve_volume(
    index: ResourceIndex, task: Resource, raw: dict[str, Any]
) -> Generator[Outcome, None, _Volume | None]:
    """Resolve a volume's file system, access point and mount targets.

    A generator that yields skips and returns the `_Volume` or None.
    """
    config = raw["efsVolumeConfiguration"]
    name = str(raw.get("name", "?"))
    if contains_unknown(config):
        yield _skip(task, f"volume '{name}' efsVolumeConfiguration is not known")
        return None
    file_system_id = config.get("fileSystemId")
    file_system = index.referenced(file_system_id, FILE_SYSTEM)
    if file_system is None:
        yield _skip(
            task,
            f"volume '{name}' file system {file_system_id} is not created by this "
            "stack, so its mount targets and policy cannot be checked",
        )
        return None
    access_point_id = (config.get("authorizationConfig") or {}).get("accessPointId")
    access_point = index.referenced(access_point_id, ACCESS_POINT)
    if access_point_id and access_point is None:
        yield _skip(
            task,
            f"volume '{name}' access point {access_point_id} is not created by this "
            "stack, so its file system cannot be checked",
        )
    targets = [
        t
        for t in index.of_type(MOUNT_TARGET)
        if index.referenced(t.get("fileSystemId"), FILE_SYSTEM) is file_system
    ]
    return _Volume(task, name, config, file_system, access_point, targets)


def _check_encryption(volume: _Volume) -> Iterator[Outcome]:
    needs_tls = volume.iam_enabled or bool(volume.access_point_id)
    if needs_tls and not volume.transit_encrypted:
        reason = "IAM authorization" if volume.iam_enabled else "an access point"
        yield _violation(
            volume.task,
            f"volume '{volume.name}' uses {reason} but transitEncryption is "
            f"{volume.config.get('transitEncryption') or 'DISABLED'}, so the mount "
            "is refused",
            'set efs_volume_configuration.transit_encryption="ENABLED"',
        )


def _check_access_point(volume: _Volume) -> Iterator[Outcome]:
    if not volume.access_point_id:
        return
    root = volume.config.get("rootDirectory")
    if root not in (None, "", "/"):
        yield _violation(
            volume.task,
            f"volume '{volume.name}' sets rootDirectory {root!r} together with an "
            "access point, which ECS rejects",
            "remove root_directory from the volume; the access point's "
            "root_directory sets the path",
        )
    access_point = volume.access_point
    if access_point is None:
        return
    owner = access_point.get("fileSystemId")
    if is_unknown(owner):
        yield _skip(access_point, "fileSystemId is not known during preview")
    elif not _names_resource(owner, volume.file_system, volume.file_system_id):
        yield _violation(
            access_point,
            f"belongs to file system {owner}, but task definition "
            f"'{volume.task.name}' volume '{volume.name}' mounts file system "
            f"{volume.file_system_id} through it",
            "use an access point of the volume's file system, or point the "
            "volume at the access point's file system",
        )


def _names_resource(value: Any, resource: Resource, volume_value: str) -> bool:
    """Return whether `value` names `resource`, by its id or ARN or the
    file system id the volume uses."""
    return value == volume_value or value in identities(resource)


# Zones and dependencies


def _service_subnets(service: Resource) -> Any:
    network = service.get("networkConfiguration", {})
    return network.get("subnets") if isinstance(network, dict) else None


def _target_zone(network: Network, target: Resource) -> str | None:
    zone = target.get("availabilityZoneName")
    if isinstance(zone, str) and zone and not is_unknown(zone):
        return zone
    subnet = target.get("subnetId")
    return network.zone(subnet) if isinstance(subnet, str) else None


def _check_zones(
    index: ResourceIndex, network: Network, volume: _Volume, service: Resource
) -> Iterator[Outcome]:
    zones: dict[str, Resource] = {}
    for target in volume.mount_targets:
        zone = _target_zone(network, target)
        if zone is None:
            yield _skip(target, "the Availability Zone of its subnet is not known")
        else:
            zones[zone] = target
    subnets = _service_subnets(service)
    if contains_unknown(subnets):
        yield _skip(service, "networkConfiguration.subnets is not known during preview")
    else:
        for subnet in as_list(subnets):
            zone = network.zone(subnet)
            if zone is None:
                yield _skip(
                    service,
                    f"the Availability Zone of subnet {subnet} is not known; pass it "
                    "in subnet_zones (policy config subnetZones)",
                )
            elif zone not in zones:
                have = ", ".join(sorted(zones)) or "none"
                yield _violation(
                    service,
                    f"subnet {subnet} is in {zone}, where file system "
                    f"{volume.file_system_id} has no mount target (mount targets: "
                    f"{have}), so tasks placed there cannot mount volume "
                    f"'{volume.name}'",
                    f"add a mount target in {zone} or drop the subnet from the service",
                )
    for target in volume.mount_targets:
        if not index.depends_on(service, target.urn):
            yield _violation(
                service,
                f"does not depend on mount target '{target.name}', so tasks can "
                "start before it is available and fail to mount",
                "add the mount targets (or an Output of their ids) to the "
                "service's depends_on",
            )


# NFS path


@dataclasses.dataclass(frozen=True)
class _Rule:
    """One security group rule, normalized across the three ways to write it."""

    direction: str
    group_id: str
    protocol: str
    from_port: int | None
    to_port: int | None
    peer_groups: tuple[str, ...]
    cidrs: tuple[str, ...]
    source: str

    def covers_port(self, port: int) -> bool:
        if self.protocol in ("-1", "all"):
            return True
        if self.protocol not in ("tcp", "6"):
            return False
        low = self.from_port if self.from_port is not None else 0
        high = self.to_port if self.to_port is not None else low
        return low <= port <= high


def _collect_rules(index: ResourceIndex) -> tuple[list[_Rule], list[Outcome]]:
    rules: list[_Rule] = []
    skipped: list[Outcome] = []
    for resource in index.of_type(INGRESS_RULE, EGRESS_RULE):
        props = resource.props
        if contains_unknown(
            [
                props.get("securityGroupId"),
                props.get("ipProtocol"),
                props.get("fromPort"),
            ]
        ):
            skipped.append(_skip(resource, "the rule is not known during preview"))
            continue
        peers = props.get("referencedSecurityGroupId")
        rules.append(
            _Rule(
                "ingress" if resource.type == INGRESS_RULE else "egress",
                str(props.get("securityGroupId")),
                str(props.get("ipProtocol")).lower(),
                _port(props.get("fromPort")),
                _port(props.get("toPort")),
                tuple(str(p) for p in as_list(peers) if not is_unknown(p)),
                tuple(
                    str(c)
                    for c in (props.get("cidrIpv4"), props.get("cidrIpv6"))
                    if c and not is_unknown(c)
                ),
                resource.label,
            )
        )
    for resource in index.of_type(SECURITY_GROUP_RULE):
        props = resource.props
        if contains_unknown(props.get("securityGroupId")):
            skipped.append(
                _skip(resource, "securityGroupId is not known during preview")
            )
            continue
        group_id = str(props.get("securityGroupId"))
        rules.append(_inline(props, str(props.get("type")), group_id, resource.label))
    for group in index.of_type(SECURITY_GROUP):
        owner_id = physical_id(group)
        for direction in ("ingress", "egress"):
            for item in as_list(group.props.get(direction)):
                if isinstance(item, dict) and owner_id:
                    rules.append(_inline(item, direction, owner_id, group.label))
    return rules, skipped


def _inline(props: Mapping[str, Any], direction: str, group: str, source: str) -> _Rule:
    peers = [str(p) for p in as_list(props.get("securityGroups")) if not is_unknown(p)]
    peers += (
        [str(props["sourceSecurityGroupId"])]
        if props.get("sourceSecurityGroupId")
        else []
    )
    if props.get("self") is True:
        peers.append(group)
    cidrs = as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks"))
    return _Rule(
        direction,
        group,
        str(props.get("protocol")).lower(),
        _port(props.get("fromPort")),
        _port(props.get("toPort")),
        tuple(peers),
        tuple(str(c) for c in cidrs if not is_unknown(c)),
        source,
    )


def _port(value: Any) -> int | None:
    if value is None or is_unknown(value):
        return None
    return int(value)


def _rule_allows(
    rule: _Rule,
    direction: str,
    own_groups: set[str],
    peer_groups: set[str],
    peer_subnets: list[str],
    network: Network,
) -> bool | None:
    """Return whether one rule opens NFS between the two sides."""
    if rule.direction != direction or rule.group_id not in own_groups:
        return False
    if not rule.covers_port(NFS_PORT):
        return False
    if peer_groups & set(rule.peer_groups):
        return True
    answer: bool | None = False
    for cidr in rule.cidrs:
        covered = [network.cidr_covers_subnet(cidr, s) for s in peer_subnets]
        if peer_subnets and all(c is True for c in covered):
            return True
        if None in covered:
            answer = None
    return answer


def _check_nfs_path(
    index: ResourceIndex, network: Network, volume: _Volume, service: Resource
) -> Iterator[Outcome]:
    config = service.get("networkConfiguration", {})
    task_groups = config.get("securityGroups") if isinstance(config, dict) else None
    subnets = _service_subnets(service)
    target_groups: set[str] = set()
    target_subnets: list[str] = []
    for target in volume.mount_targets:
        groups = target.get("securityGroups")
        if contains_unknown(groups) or contains_unknown(target.get("subnetId")):
            reason = "securityGroups or subnetId is not known during preview"
            yield _skip(target, reason)
            return
        target_groups |= {str(g) for g in as_list(groups)}
        target_subnets.append(str(target.get("subnetId")))
    if contains_unknown(task_groups) or contains_unknown(subnets):
        yield _skip(service, "networkConfiguration is not known during preview")
        return
    if not task_groups:
        yield _violation(
            service,
            "sets no networkConfiguration.securityGroups, so the VPC default "
            "group applies and NFS to the mount targets is not proven",
            "give the service a security group and open TCP 2049 to the mount "
            "targets' group",
        )
        return

    rules, skipped = _collect_rules(index)
    yield from skipped
    task_set = {str(g) for g in task_groups}
    task_names = ", ".join(sorted(task_set))
    target_names = ", ".join(sorted(target_groups)) or "(none)"
    ingress = [
        _rule_allows(r, "ingress", target_groups, task_set, as_list(subnets), network)
        for r in rules
    ]
    yield from _report_direction(
        service,
        ingress,
        f"no ingress rule on mount target security groups {target_names} allows "
        f"TCP {NFS_PORT} from task security groups {task_names}",
        "add an aws.vpc.SecurityGroupIngressRule on the mount targets' group with "
        "referenced_security_group_id set to the task group, ip_protocol tcp, "
        "port 2049",
    )
    egress = [
        _rule_allows(r, "egress", task_set, target_groups, target_subnets, network)
        for r in rules
    ]
    yield from _report_direction(
        service,
        egress,
        f"no egress rule on task security groups {task_names} allows TCP "
        f"{NFS_PORT} to mount target security groups {target_names}",
        "add an aws.vpc.SecurityGroupEgressRule on the task group with "
        "referenced_security_group_id set to the mount targets' group, "
        "ip_protocol tcp, port 2049",
    )


def _report_direction(
    service: Resource, results: list[bool | None], problem: str, fix: str
) -> Iterator[Outcome]:
    """Report one direction of the NFS path unless some rule proves it open."""
    if True in results:
        return
    if None in results:
        yield _skip(
            service, "a CIDR rule may open NFS but the subnet ranges are unknown"
        )
    else:
        yield _violation(service, problem, fix)


# IAM


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 else ""


def _mounted_writable(volume: _Volume) -> bool:
    for container in container_definitions(volume.task) or []:
        for point in as_list(container.get("mountPoints")):
            if not isinstance(point, dict):
                continue
            if (
                point.get("sourceVolume") == volume.name
                and point.get("readOnly") is not True
            ):
                return True
    return False


def _identity_documents(
    index: ResourceIndex, role: Resource
) -> tuple[list[tuple[str, Any]], list[str]]:
    """Return (label, document) of the role's identity policies and unread ARNs."""
    documents: list[tuple[str, Any]] = []
    unread: list[str] = []
    for position, inline in enumerate(as_list(role.props.get("inlinePolicies"))):
        if isinstance(inline, dict) and inline.get("policy"):
            name = inline.get("name") or f"#{position + 1}"
            documents.append((f"{role.label} inline policy '{name}'", inline["policy"]))
    for policy in index.of_type(ROLE_POLICY):
        if index.referenced(policy.get("role"), ROLE) is role:
            documents.append((policy.label, policy.props.get("policy")))
    for attachment in index.of_type(ROLE_POLICY_ATTACHMENT):
        if index.referenced(attachment.get("role"), ROLE) is not role:
            continue
        arn = attachment.get("policyArn")
        managed = index.referenced(arn, IAM_POLICY)
        if managed is not None:
            documents.append((managed.label, managed.props.get("policy")))
        elif arn in AWS_MANAGED_EFS_CLIENT_POLICIES:
            statement = {
                "Effect": "Allow",
                "Action": list(AWS_MANAGED_EFS_CLIENT_POLICIES[arn]),
                "Resource": "*",
            }
            documents.append((f"managed policy {arn}", {"Statement": [statement]}))
        elif not is_unknown(arn):
            unread.append(str(arn))
    return documents, unread


def _request_context(
    volume: _Volume, role_arn: str
) -> tuple[dict[str, list[str]], list[str]]:
    """Return the condition keys an ECS EFS mount carries, and keys it lacks."""
    context = {
        "elasticfilesystem:accessedviamounttarget": ["true"],
        "aws:securetransport": ["true" if volume.transit_encrypted else "false"],
        "aws:principalarn": [role_arn],
        "aws:principalaccount": [_account_of(role_arn)],
    }
    absent = []
    if volume.access_point is not None:
        context["elasticfilesystem:accesspointarn"] = [
            str(volume.access_point.get("arn"))
        ]
    elif not volume.access_point_id:
        absent.append("elasticfilesystem:AccessPointArn")
    return context, absent


def _check_grants(index: ResourceIndex, volume: _Volume) -> Iterator[Outcome]:
    actions = [CLIENT_MOUNT] + ([CLIENT_WRITE] if _mounted_writable(volume) else [])
    file_system_arn = volume.file_system.get("arn")
    if not isinstance(file_system_arn, str) or is_unknown(file_system_arn):
        yield _skip(volume.file_system, "arn is not known during preview")
        return
    if volume.access_point is not None and is_unknown(volume.access_point.get("arn")):
        yield _skip(volume.access_point, "arn is not known during preview")
        return

    if not volume.iam_enabled:
        yield from _check_anonymous(index, volume, file_system_arn)
        return

    role_arn = volume.task.props.get("taskRoleArn")
    if is_unknown(role_arn):
        yield _skip(volume.task, "taskRoleArn is not known during preview")
        return
    if not role_arn:
        yield _violation(
            volume.task,
            f"volume '{volume.name}' uses IAM authorization but the task definition "
            "has no taskRoleArn, so the mount has no identity (the execution role "
            "is not used for mounts)",
            "set task_role_arn to a role allowed elasticfilesystem:ClientMount",
        )
        return
    role = index.referenced(role_arn, ROLE)
    if role is None:
        yield _skip(volume.task, f"task role {role_arn} is not created by this stack")
        return

    context, absent = _request_context(volume, str(role_arn))
    for action in actions:
        yield from _check_identity_grant(
            index, volume, role, action, file_system_arn, context, absent
        )
        yield from _check_file_system_policy(
            index, volume, role, action, file_system_arn, context, absent
        )


def _check_identity_grant(
    index: ResourceIndex,
    volume: _Volume,
    role: Resource,
    action: str,
    file_system_arn: str,
    context: dict[str, list[str]],
    absent: list[str],
) -> Iterator[Outcome]:
    documents, unread = _identity_documents(index, role)
    allowed: bool | None = False
    failed_conditions: list[str] = []
    for label, document in documents:
        if contains_unknown(document):
            yield _skip(role, f"{label} is not known during preview")
            allowed = None if allowed is False else allowed
            continue
        statements, _ = iam.load_statements(document)
        for statement in statements:
            if not (
                iam.covers_action(statement, action)
                and iam.covers_resource(statement, file_system_arn)
            ):
                continue
            condition_met = iam.evaluate_condition(statement.condition, context, absent)
            if statement.effect == "Deny" and condition_met is True:
                yield _violation(
                    role,
                    f"{label} {statement.label} denies {action} on "
                    f"{file_system_arn}, so task definition '{volume.task.name}' "
                    f"cannot mount volume '{volume.name}'",
                    "narrow or remove the Deny statement",
                )
                return
            if statement.effect != "Allow":
                continue
            if condition_met is True:
                allowed = True
            elif condition_met is None and allowed is False:
                allowed = None
            elif condition_met is False:
                failed_conditions.append(f"{label} {statement.label}")
    if allowed is True:
        return
    if allowed is None or unread:
        extra = (
            f" (attached policies not readable here: {', '.join(unread)})"
            if unread
            else ""
        )
        yield _skip(role, f"cannot prove {action} on {file_system_arn}{extra}")
        return
    if failed_conditions:
        access_point = volume.access_point.get("arn") if volume.access_point else "none"
        yield _violation(
            role,
            f"the Condition of {', '.join(failed_conditions)} does not hold for "
            f"task definition '{volume.task.name}' volume '{volume.name}' (access "
            f"point {access_point}, transit encryption "
            f"{'on' if volume.transit_encrypted else 'off'}), so {action} is not "
            "allowed",
            "make elasticfilesystem:AccessPointArn name the volume's access point",
        )
        return
    yield _violation(
        role,
        f"is the task role of '{volume.task.name}' but no policy allows {action} on "
        f"{file_system_arn}, so volume '{volume.name}' cannot be mounted"
        + (" writable" if action == CLIENT_WRITE else ""),
        f"grant {action} on the file system ARN in the task role's policy"
        + (
            ", or mark every mount point of the volume readOnly"
            if action == CLIENT_WRITE
            else ""
        ),
    )


def _file_system_policies(index: ResourceIndex, volume: _Volume) -> list[Resource]:
    return [
        p
        for p in index.of_type(FILE_SYSTEM_POLICY)
        if index.referenced(p.get("fileSystemId"), FILE_SYSTEM) is volume.file_system
    ]


def _check_file_system_policy(
    index: ResourceIndex,
    volume: _Volume,
    role: Resource,
    action: str,
    file_system_arn: str,
    context: dict[str, list[str]],
    absent: list[str],
) -> Iterator[Outcome]:
    caller = iam.Caller(str(role.get("arn")), _account_of(str(role.get("arn"))))
    yield from _evaluate_resource_policy(
        index, volume, caller, action, file_system_arn, context, absent, role.label
    )


def _evaluate_resource_policy(
    index: ResourceIndex,
    volume: _Volume,
    caller: iam.Caller,
    action: str,
    file_system_arn: str,
    context: dict[str, list[str]],
    absent: list[str],
    principal_label: str,
) -> Iterator[Outcome]:
    for policy in _file_system_policies(index, volume):
        document = policy.props.get("policy")
        if contains_unknown(document):
            yield _skip(policy, "policy is not known during preview")
            continue
        statements, _ = iam.load_statements(document)
        relevant = [
            s
            for s in statements
            if iam.covers_action(s, action) and iam.covers_resource(s, file_system_arn)
        ]
        undecided = False
        for statement in (s for s in relevant if s.effect == "Deny"):
            principal = iam.principal_matches(statement, caller)
            condition_met = iam.evaluate_condition(statement.condition, context, absent)
            if principal is True and condition_met is True:
                yield _violation(
                    policy,
                    f"{statement.label} denies {action} to {principal_label}, so task "
                    f"definition '{volume.task.name}' cannot mount volume "
                    f"'{volume.name}'",
                    "narrow the Deny (a Deny on aws:SecureTransport false is "
                    "fine with transit encryption on)",
                )
                return
            if principal is not False and condition_met is not False:
                undecided = True
        allows = [s for s in statements if s.effect == "Allow"]
        if not allows:
            if undecided:
                yield _skip(policy, f"cannot prove no Deny applies to {action}")
            continue
        results = []
        for statement in (s for s in relevant if s.effect == "Allow"):
            principal = iam.principal_matches(statement, caller)
            condition_met = iam.evaluate_condition(statement.condition, context, absent)
            results.append(
                True
                if principal is True and condition_met is True
                else False
                if principal is False or condition_met is False
                else None
            )
        if True in results and not undecided:
            continue
        if None in results or undecided:
            yield _skip(policy, f"cannot prove it allows {action} to {principal_label}")
            continue
        yield _violation(
            policy,
            f"has Allow statements but none allows {action} to {principal_label}, "
            f"so task definition '{volume.task.name}' cannot mount volume "
            f"'{volume.name}'",
            f"add an Allow for {action} with Principal the task role ARN or the "
            "account root",
        )


def _check_anonymous(
    index: ResourceIndex, volume: _Volume, file_system_arn: str
) -> Iterator[Outcome]:
    """Without IAM authorization the mount is anonymous to the file system policy."""
    context, absent = _request_context(volume, "")
    yield from _evaluate_resource_policy(
        index,
        volume,
        iam.Caller("", ""),
        CLIENT_MOUNT,
        file_system_arn,
        context,
        absent,
        "anonymous clients (authorizationConfig.iam is not ENABLED)",
    )


# Platform and DNS

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _check_platform(service: Resource) -> Iterator[Outcome]:
    fargate = runs_on_fargate(service)
    version = service.props.get("platformVersion")
    if fargate is None or is_unknown(version):
        yield _skip(
            service, "launchType or platformVersion is not known during preview"
        )
        return
    if not fargate or version in (None, "", "LATEST"):
        return
    match = _VERSION.match(str(version))
    if match is None or tuple(int(p) for p in match.groups()) < (1, 4, 0):
        yield _violation(
            service,
            f"platformVersion {version!r} cannot mount EFS volumes (Fargate needs "
            "1.4.0 or later)",
            'set platform_version="LATEST" or leave it unset',
        )


def _check_dns(network: Network, service: Resource) -> Iterator[Outcome]:
    subnets = _service_subnets(service)
    if contains_unknown(subnets):
        return
    vpcs = {network.vpc_of(str(s)) for s in as_list(subnets)}
    if None in vpcs:
        yield _skip(
            service,
            "the VPC of its subnets is not known; pass subnet_vpcs and vpc_dns "
            "(policy config subnetVpcs, vpcDns)",
        )
        vpcs.discard(None)
    for vpc in sorted(v for v in vpcs if v):
        dns = network.vpc_dns.get(vpc)
        where = network.vpc_labels.get(vpc, f"VPC {vpc}")
        if dns is None:
            yield _skip(service, f"the DNS attributes of {where} are not known")
            continue
        if not dns.support:
            yield _violation(
                service,
                f"runs in {where}, which has DNS support (enableDnsSupport) off, "
                "so the file system's DNS name does not resolve",
                "set enable_dns_support=True on the VPC",
            )
        if not dns.hostnames:
            yield _violation(
                service,
                f"runs in {where}, which has DNS hostnames (enableDnsHostnames) off, "
                "so EFS mounts by DNS name fail",
                "set enable_dns_hostnames=True on the VPC",
            )


def check_stack_run(stack_run: Any, facts: NetworkFacts | None = None) -> list[Outcome]:
    """Run the mount check on an `offline.engine.StackRun`."""
    index = ResourceIndex(from_registration(r) for r in stack_run.registrations)
    return list(check_mounts(index, facts))


def check_resources(
    resources: Iterable[Resource], facts: NetworkFacts | None = None
) -> list[Outcome]:
    """Run the mount check on plain `Resource` objects."""
    return list(check_mounts(ResourceIndex(resources), facts))


def _stack_check(index: ResourceIndex, config: Mapping[str, Any]) -> Iterator[Outcome]:
    return check_mounts(index, NetworkFacts.from_config(config))


def build_policy() -> StackValidationPolicy:
    """Return the mount check as a stack policy that reads network facts from config."""
    return stack_policy(
        MOUNT_CHECK_INFO, _stack_check, network_schema(NETWORK_CONFIG_PROPERTIES)
    )
