"""AWS Foundational Security Best Practices controls that apply to this stack.

Each policy checks the properties pulumi-aws 7 sends to the provider
(camelCase). Severities are the FSBP controls' own; `POLICY_INFO` is the
table that docs/policies.md mirrors.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy

from policy import iam
from policy.base import (
    ADVISORY,
    MANDATORY,
    Outcome,
    PolicyInfo,
    Skip,
    Violation,
    network_schema,
    resource_policy,
    stack_policy,
)
from policy.network import NETWORK_CONFIG_PROPERTIES, NetworkFacts, build_network
from policy.resources import (
    Resource,
    ResourceIndex,
    as_list,
    contains_unknown,
    is_unknown,
    parse_json_document,
    physical_id,
)

FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
ACCESS_POINT = "aws:efs/accessPoint:AccessPoint"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
BACKUP_POLICY = "aws:efs/backupPolicy:BackupPolicy"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ACL = "aws:s3/bucketAcl:BucketAcl"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


def _info(
    name: str,
    controls: tuple[str, ...],
    severity: str,
    description: str,
    remediation: str,
    enforcement: Any = MANDATORY,
) -> PolicyInfo:
    return PolicyInfo(name, controls, severity, enforcement, description, remediation)


POLICY_INFO: dict[str, PolicyInfo] = {
    info.name: info
    for info in (
        _info(
            "efs-encrypted-at-rest",
            ("EFS.1",),
            "medium",
            "EFS file systems encrypt data at rest with AWS KMS.",
            "Set encrypted=True on the FileSystem (optionally kms_key_id).",
        ),
        _info(
            "efs-backups-enabled",
            ("EFS.2",),
            "medium",
            "Every EFS file system has automatic backups enabled.",
            "Add an aws.efs.BackupPolicy for the file system with status ENABLED.",
        ),
        _info(
            "efs-access-point-root-directory",
            ("EFS.3",),
            "medium",
            "EFS access points enforce a root directory other than /.",
            "Set root_directory.path on the AccessPoint to a subdirectory.",
        ),
        _info(
            "efs-access-point-user-identity",
            ("EFS.4",),
            "medium",
            "EFS access points enforce a POSIX user identity.",
            "Set posix_user (uid and gid) on the AccessPoint.",
        ),
        _info(
            "efs-mount-target-private-subnet",
            ("EFS.6",),
            "medium",
            "EFS mount targets are not in subnets that assign public IPv4 "
            "addresses on launch.",
            "Place the mount target in a private subnet (no "
            "map_public_ip_on_launch, not in awsx publicSubnetIds).",
        ),
        _info(
            "ecs-service-no-public-ip",
            ("ECS.2",),
            "high",
            "ECS services do not assign public IP addresses to tasks.",
            "Set network_configuration.assign_public_ip=False and run tasks in "
            "private subnets.",
        ),
        _info(
            "ecs-container-not-privileged",
            ("ECS.4",),
            "high",
            "ECS containers run as non-privileged.",
            'Remove "privileged": true from the container definition.',
        ),
        _info(
            "ecs-container-read-only-root",
            ("ECS.5",),
            "high",
            "ECS containers have read-only root file systems.",
            'Set "readonlyRootFilesystem": true and mount writable paths as volumes.',
            # Advisory: the 0.x assets image cannot run with a read-only root
            # (nginx runs as a non-root user and the image declares no VOLUME).
            ADVISORY,
        ),
        _info(
            "ecs-no-secrets-in-environment",
            ("ECS.8",),
            "high",
            "Container environment variables carry no credentials or secrets.",
            'Move the value to Secrets Manager or SSM and reference it in "secrets" '
            "with valueFrom.",
        ),
        _info(
            "ecs-container-logging",
            ("ECS.9",),
            "high",
            "Every ECS container has a log configuration.",
            'Add "logConfiguration" (for example the awslogs driver) to the '
            "container definition.",
        ),
        _info(
            "ecs-fargate-latest-platform",
            ("ECS.10",),
            "medium",
            "Fargate services run on the latest platform version.",
            'Leave platform_version unset or set it to "LATEST".',
        ),
        _info(
            "ecs-cluster-container-insights",
            ("ECS.12",),
            "medium",
            "ECS clusters have Container Insights enabled.",
            'Add settings=[{"name": "containerInsights", "value": "enabled"}] to '
            "the Cluster.",
        ),
        _info(
            "alb-drop-invalid-headers",
            ("ELB.4",),
            "medium",
            "Application Load Balancers drop invalid HTTP header fields.",
            "Set drop_invalid_header_fields=True on the LoadBalancer.",
        ),
        _info(
            "alb-access-logs",
            ("ELB.5",),
            "medium",
            "Application Load Balancers write access logs.",
            "Set access_logs={bucket, enabled: True} on the LoadBalancer.",
            ADVISORY,
        ),
        _info(
            "alb-http-redirects-to-https",
            ("ELB.1",),
            "medium",
            "When a load balancer has an HTTPS listener, its HTTP listeners "
            "redirect to HTTPS.",
            "Make the HTTP listener's default action a redirect with protocol "
            '"HTTPS".',
        ),
        _info(
            "sg-world-ingress-authorized-ports",
            ("EC2.18",),
            "high",
            "Security groups allow ingress from 0.0.0.0/0 or ::/0 only to the "
            "listener ports 80 and 443.",
            "Narrow the rule's source to a security group or a private CIDR, or "
            "its ports to 80/443.",
        ),
        _info(
            "sg-world-ingress-high-risk-ports",
            ("EC2.19",),
            "critical",
            "Security groups allow no ingress from 0.0.0.0/0 or ::/0 to high-risk "
            "ports.",
            "Remove the rule or restrict its source to a security group or a "
            "private CIDR.",
        ),
        _info(
            "iam-no-full-admin",
            ("IAM.1",),
            "high",
            'IAM policies do not allow the action "*".',
            "List the actions the role needs instead of *.",
        ),
        _info(
            "iam-no-service-wildcard",
            ("IAM.21",),
            "low",
            'IAM policies do not allow "service:*" or Allow with NotAction.',
            "List the service's actions the role needs instead of service:*.",
        ),
        _info(
            "s3-block-public-access",
            ("S3.8", "S3.1"),
            "high",
            "Every S3 bucket has a public access block with all four settings true.",
            "Add an aws.s3.BucketPublicAccessBlock for the bucket with "
            "block_public_acls, block_public_policy, ignore_public_acls and "
            "restrict_public_buckets all True.",
        ),
        _info(
            "s3-no-public-grants",
            ("S3.2", "S3.3"),
            "critical",
            "No S3 bucket ACL or bucket policy grants access to everyone.",
            "Remove the public ACL or add a Condition that limits the principal.",
        ),
        _info(
            "s3-require-tls",
            ("S3.5",),
            "medium",
            "Every S3 bucket policy denies requests without TLS.",
            'Add a Deny statement for Principal "*", Action "s3:*", the bucket '
            'and its objects, with Condition Bool "aws:SecureTransport": "false".',
        ),
    )
}


def _message(resource: Resource, problem: str, policy: str) -> str:
    return f"{resource.label}: {problem}. Fix: {POLICY_INFO[policy].remediation}"


def _unknown(resource: Resource, path: str) -> Skip:
    return Skip(f"{resource.label}: {path} is not known during preview", resource.urn)


# EFS


def check_efs_encrypted(resource: Resource) -> Iterator[Outcome]:
    """EFS.1: the file system is encrypted at rest."""
    encrypted = resource.props.get("encrypted")
    if is_unknown(encrypted):
        yield _unknown(resource, "encrypted")
    elif encrypted is not True:
        yield Violation(
            _message(resource, f"encrypted is {encrypted!r}", "efs-encrypted-at-rest")
        )


def check_efs_backups(
    index: ResourceIndex, config: Mapping[str, Any]
) -> Iterator[Outcome]:
    """EFS.2: each file system has a BackupPolicy with status ENABLED."""
    policies = index.of_type(BACKUP_POLICY)
    for file_system in index.of_type(FILE_SYSTEM):
        matched = [
            p
            for p in policies
            if index.referenced(p.get("fileSystemId"), FILE_SYSTEM) is file_system
        ]
        unresolved = [p for p in policies if is_unknown(p.get("fileSystemId"))]
        statuses = [(p.get("backupPolicy") or {}).get("status") for p in matched]
        if "ENABLED" in statuses:
            continue
        if unresolved or any(is_unknown(s) for s in statuses):
            yield Skip(
                f"{file_system.label}: the backup policy's file system or status "
                "is not known during preview",
                file_system.urn,
            )
            continue
        found = f"status {statuses[0]!r}" if statuses else "no BackupPolicy"
        yield Violation(
            _message(
                file_system,
                f"automatic backups are off ({found})",
                "efs-backups-enabled",
            ),
            file_system.urn,
        )


def check_access_point_root(resource: Resource) -> Iterator[Outcome]:
    """EFS.3: the access point's root directory is set and not /."""
    root = resource.get("rootDirectory", {})
    path = root.get("path") if isinstance(root, dict) else root
    if is_unknown(path) or is_unknown(root):
        yield _unknown(resource, "rootDirectory.path")
    elif not path or str(path).rstrip("/") == "":
        value_text = "unset" if not path else repr(path)
        yield Violation(
            _message(
                resource,
                f"rootDirectory.path is {value_text}, which exposes the whole "
                "file system",
                "efs-access-point-root-directory",
            )
        )


def check_access_point_user(resource: Resource) -> Iterator[Outcome]:
    """EFS.4: the access point sets a POSIX user with uid and gid."""
    user = resource.get("posixUser")
    if contains_unknown(user):
        yield _unknown(resource, "posixUser")
    elif (
        not isinstance(user, dict) or user.get("uid") is None or user.get("gid") is None
    ):
        yield Violation(
            _message(
                resource,
                f"posixUser is {user!r}; clients keep their own identity",
                "efs-access-point-user-identity",
            )
        )


def check_mount_target_subnets(
    index: ResourceIndex, config: Mapping[str, Any]
) -> Iterator[Outcome]:
    """EFS.6: no mount target lies in a subnet marked public."""
    network = build_network(index, NetworkFacts.from_config(config))
    for target in index.of_type(MOUNT_TARGET):
        subnet_id = target.get("subnetId")
        if is_unknown(subnet_id):
            yield _unknown(target, "subnetId")
        elif subnet_id in network.public_subnets:
            source = network.public_subnet_sources.get(subnet_id, "")
            yield Violation(
                _message(
                    target,
                    f"subnet {subnet_id} is public ({source})",
                    "efs-mount-target-private-subnet",
                ),
                target.urn,
            )


# ECS


def container_definitions(resource: Resource) -> list[dict[str, Any]] | None:
    """Return the parsed containerDefinitions, or None if unknown or invalid.

    Invalid JSON is reported by the `ecs-container-definitions-contract`
    policy, so the controls here skip such a task definition.
    """
    raw = resource.props.get("containerDefinitions")
    if raw is None or contains_unknown(raw):
        return None
    parsed, error = parse_json_document(raw)
    if error or not isinstance(parsed, list):
        return None
    return [c for c in parsed if isinstance(c, dict)]


def _containers(resource: Resource) -> Iterator[tuple[str, dict[str, Any]] | Skip]:
    if contains_unknown(resource.props.get("containerDefinitions")):
        yield _unknown(resource, "containerDefinitions")
        return
    for container in container_definitions(resource) or []:
        yield f"container '{container.get('name', '?')}'", container


def check_not_privileged(resource: Resource) -> Iterator[Outcome]:
    """ECS.4: no container sets privileged."""
    for item in _containers(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, container = item
        if container.get("privileged") is True:
            yield Violation(
                _message(
                    resource,
                    f"{label} sets privileged true",
                    "ecs-container-not-privileged",
                )
            )


def check_read_only_root(resource: Resource) -> Iterator[Outcome]:
    """ECS.5: every container sets readonlyRootFilesystem true."""
    for item in _containers(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, container = item
        value = container.get("readonlyRootFilesystem")
        if value is not True:
            value_text = "unset" if value is None else repr(value)
            yield Violation(
                _message(
                    resource,
                    f"{label} has readonlyRootFilesystem {value_text}",
                    "ecs-container-read-only-root",
                )
            )


# The variable names AWS Config's ecs-no-environment-secrets rule checks.
SECRET_ENVIRONMENT_NAMES = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "ECS_ENGINE_AUTH_DATA"}
)
# Names that announce a secret, and values that look like one. A name match
# counts only when the value is a literal, not an ARN or a reference.
_SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.IGNORECASE
)
_SECRET_VALUES = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
)
_REFERENCE_VALUE = re.compile(r"^(arn:|\$\{|/|ssm:|secretsmanager:)")


def secret_in_environment(name: str, value: Any) -> str:
    """Return why an environment variable looks like a secret, or ""."""
    if name.upper() in SECRET_ENVIRONMENT_NAMES:
        return f"{name} is a credential variable"
    text = "" if value is None else str(value)
    for kind, pattern in _SECRET_VALUES:
        if pattern.search(text):
            return f"the value of {name} looks like {kind}"
    if _SECRET_NAME.search(name) and text and not _REFERENCE_VALUE.match(text):
        return f"{name} names a secret and has a literal value"
    return ""


def check_environment_secrets(resource: Resource) -> Iterator[Outcome]:
    """ECS.8: no credential names or secret-looking values in environment."""
    for item in _containers(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, container = item
        for variable in as_list(container.get("environment")):
            if not isinstance(variable, dict):
                continue
            reason = secret_in_environment(
                str(variable.get("name", "")), variable.get("value")
            )
            if reason:
                yield Violation(
                    _message(
                        resource,
                        f"{label}: {reason} (the value is not shown)",
                        "ecs-no-secrets-in-environment",
                    )
                )


def check_container_logging(resource: Resource) -> Iterator[Outcome]:
    """ECS.9: every container has a logConfiguration with a log driver."""
    for item in _containers(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, container = item
        log = container.get("logConfiguration")
        if not isinstance(log, dict) or not log.get("logDriver"):
            yield Violation(
                _message(
                    resource,
                    f"{label} has no logConfiguration",
                    "ecs-container-logging",
                )
            )


def check_service_public_ip(resource: Resource) -> Iterator[Outcome]:
    """ECS.2: the service does not assign public IPs."""
    network = resource.get("networkConfiguration", {})
    assign = network.get("assignPublicIp") if isinstance(network, dict) else None
    if is_unknown(assign) or is_unknown(network):
        yield _unknown(resource, "networkConfiguration.assignPublicIp")
    elif assign is True:
        yield Violation(
            _message(
                resource,
                "networkConfiguration.assignPublicIp is true",
                "ecs-service-no-public-ip",
            )
        )


def runs_on_fargate(resource: Resource) -> bool | None:
    """Return whether an ECS service runs on Fargate; None if unknown."""
    launch_type = resource.props.get("launchType")
    if is_unknown(launch_type):
        return None
    if launch_type == "FARGATE":
        return True
    strategies = resource.get("capacityProviderStrategies", [])
    if contains_unknown(strategies):
        return None
    return any(
        str(s.get("capacityProvider", "")).startswith("FARGATE")
        for s in strategies
        if isinstance(s, dict)
    )


# The newest Linux Fargate platform version when this was written. FSBP
# ECS.10 passes LATEST or this version; update it when AWS releases a new one.
LATEST_FARGATE_LINUX = "1.4.0"


def check_fargate_platform(resource: Resource) -> Iterator[Outcome]:
    """ECS.10: Fargate services use LATEST (or the newest version number)."""
    fargate = runs_on_fargate(resource)
    version = resource.props.get("platformVersion")
    if fargate is None or is_unknown(version):
        yield _unknown(resource, "launchType or platformVersion")
    elif fargate and version not in (None, "LATEST", LATEST_FARGATE_LINUX):
        yield Violation(
            _message(
                resource,
                f"platformVersion is {version!r}, not LATEST",
                "ecs-fargate-latest-platform",
            )
        )


def check_container_insights(resource: Resource) -> Iterator[Outcome]:
    """ECS.12: the cluster's containerInsights setting is enabled or enhanced."""
    settings = resource.get("settings", [])
    if contains_unknown(settings):
        yield _unknown(resource, "settings")
        return
    values = [
        s.get("value")
        for s in settings
        if isinstance(s, dict) and s.get("name") == "containerInsights"
    ]
    if not any(v in ("enabled", "enhanced") for v in values):
        value_text = repr(values[0]) if values else "unset"
        yield Violation(
            _message(
                resource,
                f"containerInsights is {value_text}",
                "ecs-cluster-container-insights",
            )
        )


# Load balancing


def _is_application(resource: Resource) -> bool | None:
    kind = resource.props.get("loadBalancerType")
    if is_unknown(kind):
        return None
    return kind in (None, "application")


def check_drop_invalid_headers(resource: Resource) -> Iterator[Outcome]:
    """ELB.4: an ALB drops invalid header fields."""
    application = _is_application(resource)
    value = resource.props.get("dropInvalidHeaderFields")
    if application is None or is_unknown(value):
        yield _unknown(resource, "dropInvalidHeaderFields")
    elif application and value is not True:
        value_text = "unset" if value is None else repr(value)
        yield Violation(
            _message(
                resource,
                f"dropInvalidHeaderFields is {value_text}",
                "alb-drop-invalid-headers",
            )
        )


def check_access_logs(resource: Resource) -> Iterator[Outcome]:
    """ELB.5: an ALB has access logs enabled."""
    application = _is_application(resource)
    logs = resource.get("accessLogs", {})
    if application is None or contains_unknown(logs):
        yield _unknown(resource, "accessLogs")
    elif application and not (isinstance(logs, dict) and logs.get("enabled") is True):
        yield Violation(
            _message(resource, "accessLogs is not enabled", "alb-access-logs")
        )


def _listener_is_https(listener: Resource) -> bool:
    return listener.get("protocol") == "HTTPS" or bool(listener.get("certificateArn"))


def _redirects_to_https(listener: Resource) -> bool | None:
    actions = listener.get("defaultActions", [])
    if contains_unknown(actions):
        return None
    ordered = sorted(
        (a for a in actions if isinstance(a, dict)),
        key=lambda a: a.get("order") or 0,
    )
    if not ordered:
        return False
    first = ordered[0]
    redirect = first.get("redirect") or {}
    return first.get("type") == "redirect" and redirect.get("protocol") == "HTTPS"


def check_http_redirect(
    index: ResourceIndex, config: Mapping[str, Any]
) -> Iterator[Outcome]:
    """ELB.1: on an ALB with an HTTPS listener, HTTP listeners redirect."""
    by_balancer: dict[str, list[Resource]] = {}
    for listener in index.of_type(LISTENER):
        balancer = index.referenced(listener.get("loadBalancerArn"), LOAD_BALANCER)
        if balancer is None:
            if is_unknown(listener.get("loadBalancerArn")):
                yield _unknown(listener, "loadBalancerArn")
            continue
        by_balancer.setdefault(balancer.urn, []).append(listener)
    for listeners in by_balancer.values():
        if not any(_listener_is_https(listener) for listener in listeners):
            continue
        for listener in listeners:
            if listener.get("protocol") != "HTTP":
                continue
            redirects = _redirects_to_https(listener)
            if redirects is None:
                yield _unknown(listener, "defaultActions")
            elif not redirects:
                yield Violation(
                    _message(
                        listener,
                        f"HTTP listener on port {listener.get('port')} serves "
                        "traffic although the load balancer has an HTTPS listener",
                        "alb-http-redirects-to-https",
                    ),
                    listener.urn,
                )


# Security groups

AUTHORIZED_WORLD_PORTS = frozenset({80, 443})
HIGH_RISK_PORTS = frozenset(
    {20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389}
    | {4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300}
)
"""The ports FSBP EC2.19 lists as high risk."""


def world_ingress(resource: Resource) -> Iterator[tuple[str, int, int] | Skip]:
    """Yield (source CIDR, first port, last port) for each world-open ingress.

    All-traffic rules (protocol -1) span ports 0-65535. ICMP rules have no
    ports and are left out.
    """
    rules: list[dict[str, Any]]
    if resource.type == INGRESS_RULE:
        rules = [
            {
                "cidrs": [
                    resource.props.get("cidrIpv4"),
                    resource.props.get("cidrIpv6"),
                ],
                "protocol": resource.props.get("ipProtocol"),
                "from": resource.props.get("fromPort"),
                "to": resource.props.get("toPort"),
            }
        ]
    elif resource.type == SECURITY_GROUP_RULE:
        if resource.props.get("type") != "ingress":
            return
        rules = [_inline_rule(resource.props)]
    else:
        rules = [_inline_rule(r) for r in as_list(resource.props.get("ingress"))]
    for rule in rules:
        if contains_unknown(rule):
            yield _unknown(resource, "an ingress rule")
            continue
        world = [c for c in rule["cidrs"] if c and _is_world(c)]
        ports = _port_range(rule["protocol"], rule["from"], rule["to"])
        if world and ports is not None:
            yield world[0], ports[0], ports[1]


def _inline_rule(rule: Any) -> dict[str, Any]:
    rule = rule if isinstance(rule, dict) else {}
    return {
        "cidrs": as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks")),
        "protocol": rule.get("protocol"),
        "from": rule.get("fromPort"),
        "to": rule.get("toPort"),
    }


def _is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _port_range(protocol: Any, first: Any, last: Any) -> tuple[int, int] | None:
    name = str(protocol).lower()
    if name in ("-1", "all"):
        return 0, 65535
    if name in ("tcp", "udp", "6", "17"):
        low = int(first) if first is not None else 0
        high = int(last) if last is not None else low
        return low, high
    return None


def _ports_text(first: int, last: int) -> str:
    return f"port {first}" if first == last else f"ports {first}-{last}"


def check_world_authorized_ports(resource: Resource) -> Iterator[Outcome]:
    """EC2.18: world-open ingress reaches only ports 80 and 443."""
    for item in world_ingress(resource):
        if isinstance(item, Skip):
            yield item
            continue
        cidr, first, last = item
        if set(range(first, last + 1)) <= AUTHORIZED_WORLD_PORTS:
            continue
        yield Violation(
            _message(
                resource,
                f"ingress from {cidr} to {_ports_text(first, last)} goes beyond "
                "ports 80 and 443",
                "sg-world-ingress-authorized-ports",
            )
        )


def check_world_high_risk_ports(resource: Resource) -> Iterator[Outcome]:
    """EC2.19: world-open ingress reaches no high-risk port."""
    for item in world_ingress(resource):
        if isinstance(item, Skip):
            yield item
            continue
        cidr, first, last = item
        risky = sorted(p for p in HIGH_RISK_PORTS if first <= p <= last)
        if risky:
            value_text = ", ".join(str(p) for p in risky[:6])
            more = "" if len(risky) <= 6 else f" and {len(risky) - 6} more"
            yield Violation(
                _message(
                    resource,
                    f"ingress from {cidr} reaches high-risk ports {value_text}{more}",
                    "sg-world-ingress-high-risk-ports",
                )
            )


# IAM

IDENTITY_POLICY_TYPES = (ROLE_POLICY, IAM_POLICY, USER_POLICY, GROUP_POLICY, ROLE)


def identity_documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """Yield (label, document) for each identity policy a resource carries."""
    if resource.type == ROLE:
        for position, inline in enumerate(
            as_list(resource.props.get("inlinePolicies"))
        ):
            if isinstance(inline, dict) and inline.get("policy") is not None:
                name = inline.get("name") or f"#{position + 1}"
                yield f"inline policy '{name}'", inline.get("policy")
    elif resource.props.get("policy") is not None:
        yield "policy", resource.props.get("policy")


_SERVICE_WILDCARD = re.compile(r"^[A-Za-z0-9-]+:\*+$")


def _allow_statements(resource: Resource) -> Iterator[tuple[str, iam.Statement] | Skip]:
    for label, document in identity_documents(resource):
        if contains_unknown(document):
            yield _unknown(resource, label)
            continue
        statements, _ = iam.load_statements(document)
        for statement in statements:
            if statement.effect == "Allow":
                yield label, statement


def check_no_full_admin(resource: Resource) -> Iterator[Outcome]:
    """IAM.1: no Allow statement grants the action *."""
    for item in _allow_statements(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, statement = item
        if any(a.strip("*") == "" for a in statement.actions or ()):
            yield Violation(
                _message(
                    resource,
                    f'{label} {statement.label} allows Action "*"',
                    "iam-no-full-admin",
                )
            )


def check_no_service_wildcard(resource: Resource) -> Iterator[Outcome]:
    """IAM.21: no Allow statement grants service:* or uses NotAction."""
    for item in _allow_statements(resource):
        if isinstance(item, Skip):
            yield item
            continue
        label, statement = item
        wildcards = [a for a in statement.actions or () if _SERVICE_WILDCARD.match(a)]
        if wildcards:
            yield Violation(
                _message(
                    resource,
                    f"{label} {statement.label} allows {', '.join(wildcards)}",
                    "iam-no-service-wildcard",
                )
            )
        if statement.not_actions is not None:
            yield Violation(
                _message(
                    resource,
                    f"{label} {statement.label} allows every action except "
                    f"{', '.join(statement.not_actions)} (NotAction)",
                    "iam-no-service-wildcard",
                )
            )


# S3

PUBLIC_ACCESS_SETTINGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)
PUBLIC_CANNED_ACLS = frozenset(
    {"public-read", "public-read-write", "authenticated-read"}
)
_PUBLIC_GRANTEE_URIS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def bucket_name(bucket: Resource) -> str:
    """Return the bucket's name, or "" when it is not known yet."""
    return physical_id(bucket)


def bucket_arn(bucket: Resource) -> str:
    """Return the bucket's ARN, built from its name if needed."""
    arn = bucket.get("arn")
    if isinstance(arn, str) and arn and not is_unknown(arn):
        return arn
    name = bucket_name(bucket)
    return f"arn:aws:s3:::{name}" if name else ""


def _attached(index: ResourceIndex, bucket: Resource, kind: str) -> list[Resource]:
    return [
        r
        for r in index.of_type(kind)
        if index.referenced(r.get("bucket"), *BUCKETS) is bucket
    ]


def _bucket_unresolved(index: ResourceIndex, kind: str) -> bool:
    return any(is_unknown(r.get("bucket")) for r in index.of_type(kind))


def check_public_access_block(
    index: ResourceIndex, config: Mapping[str, Any]
) -> Iterator[Outcome]:
    """S3.8: each bucket has a public access block with all settings true."""
    for bucket in index.of_type(*BUCKETS):
        blocks = _attached(index, bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            if _bucket_unresolved(index, PUBLIC_ACCESS_BLOCK) or not bucket_name(
                bucket
            ):
                yield _unknown(bucket, "the public access block's bucket")
            else:
                yield Violation(
                    _message(
                        bucket,
                        "has no BucketPublicAccessBlock",
                        "s3-block-public-access",
                    ),
                    bucket.urn,
                )
            continue
        for block in blocks:
            off = [s for s in PUBLIC_ACCESS_SETTINGS if block.props.get(s) is not True]
            if any(is_unknown(block.props.get(s)) for s in off):
                yield _unknown(block, "a public access block setting")
            elif off:
                yield Violation(
                    _message(
                        block,
                        f"for bucket {bucket_name(bucket)} {', '.join(off)} not true",
                        "s3-block-public-access",
                    ),
                    block.urn,
                )


def _public_policy_statements(document: Any) -> list[iam.Statement]:
    statements, _ = iam.load_statements(document)
    anyone = iam.Caller(arn="arn:aws:iam::000000000000:role/anyone", account_id="0")
    return [
        s
        for s in statements
        if s.effect == "Allow"
        and not s.condition
        and s.principal is not None
        and iam.principal_matches(s, anyone) is True
    ]


def check_no_public_grants(resource: Resource) -> Iterator[Outcome]:
    """S3.2/S3.3: no public canned ACL, grant or unconditioned Allow to *."""
    acl = resource.props.get("acl")
    if is_unknown(acl):
        yield _unknown(resource, "acl")
    elif acl in PUBLIC_CANNED_ACLS:
        yield Violation(_message(resource, f"acl is {acl!r}", "s3-no-public-grants"))
    grants = as_list(resource.props.get("grants"))
    grants += as_list((resource.get("accessControlPolicy") or {}).get("grants"))
    for grant in grants:
        grantee = grant.get("grantee", grant) if isinstance(grant, dict) else {}
        uri = grantee.get("uri") if isinstance(grantee, dict) else None
        if uri in _PUBLIC_GRANTEE_URIS:
            yield Violation(
                _message(resource, f"grants access to {uri}", "s3-no-public-grants")
            )
    document = resource.props.get("policy")
    if document is None or resource.type == BUCKET_ACL:
        return
    if contains_unknown(document):
        yield _unknown(resource, "policy")
        return
    for statement in _public_policy_statements(document):
        yield Violation(
            _message(
                resource,
                f"policy {statement.label} allows "
                f"{', '.join(iam.action_list(statement))} to Principal * with no "
                "Condition",
                "s3-no-public-grants",
            )
        )


def denies_insecure_transport(document: Any, bucket: str) -> bool | None:
    """Return whether a bucket policy denies every non-TLS request.

    A statement counts when it is a Deny for every principal, covers all S3
    actions on the bucket and its objects, and its Condition holds when
    aws:SecureTransport is false.
    """
    if contains_unknown(document):
        return None
    statements, _ = iam.load_statements(document)
    everyone = iam.Caller(arn="arn:aws:iam::000000000000:role/anyone", account_id="0")
    bucket_arn_value = f"arn:aws:s3:::{bucket}"
    for statement in statements:
        if statement.effect != "Deny":
            continue
        if iam.principal_matches(statement, everyone) is not True:
            continue
        if not all(
            iam.covers_action(statement, action)
            for action in ("s3:GetObject", "s3:PutObject", "s3:ListBucket")
        ):
            continue
        if not all(
            iam.covers_resource(statement, arn)
            for arn in (bucket_arn_value, f"{bucket_arn_value}/any-key")
        ):
            continue
        condition = iam.evaluate_condition(
            statement.condition, {"aws:securetransport": ["false"]}
        )
        if condition is True and statement.condition:
            return True
    return False


def check_require_tls(
    index: ResourceIndex, config: Mapping[str, Any]
) -> Iterator[Outcome]:
    """S3.5: each bucket's policy denies requests without TLS."""
    for bucket in index.of_type(*BUCKETS):
        name = bucket_name(bucket)
        documents = [
            p.props.get("policy") for p in _attached(index, bucket, BUCKET_POLICY)
        ]
        if bucket.props.get("policy") is not None:
            documents.append(bucket.props.get("policy"))
        if not name:
            yield _unknown(bucket, "bucket")
            continue
        results = [denies_insecure_transport(d, name) for d in documents]
        if True in results:
            continue
        if None in results or _bucket_unresolved(index, BUCKET_POLICY):
            yield _unknown(bucket, "the bucket policy")
            continue
        found = (
            "its bucket policy has no such Deny"
            if documents
            else "it has no bucket policy"
        )
        yield Violation(
            _message(
                bucket,
                f"requests without TLS are not denied ({found})",
                "s3-require-tls",
            ),
            bucket.urn,
        )


def build_policies() -> list[Policy]:
    """Return the FSBP policies, in the order of `POLICY_INFO`."""
    info = POLICY_INFO
    network = network_schema(NETWORK_CONFIG_PROPERTIES)
    sg_types = (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE)
    bucket_types = (*BUCKETS, BUCKET_ACL, BUCKET_POLICY)
    policies: list[Policy] = [
        resource_policy(
            info["efs-encrypted-at-rest"], [FILE_SYSTEM], check_efs_encrypted
        ),
        stack_policy(info["efs-backups-enabled"], check_efs_backups),
        resource_policy(
            info["efs-access-point-root-directory"],
            [ACCESS_POINT],
            check_access_point_root,
        ),
        resource_policy(
            info["efs-access-point-user-identity"],
            [ACCESS_POINT],
            check_access_point_user,
        ),
        stack_policy(
            info["efs-mount-target-private-subnet"], check_mount_target_subnets, network
        ),
        resource_policy(
            info["ecs-service-no-public-ip"], [SERVICE], check_service_public_ip
        ),
        resource_policy(
            info["ecs-container-not-privileged"],
            [TASK_DEFINITION],
            check_not_privileged,
        ),
        resource_policy(
            info["ecs-container-read-only-root"],
            [TASK_DEFINITION],
            check_read_only_root,
        ),
        resource_policy(
            info["ecs-no-secrets-in-environment"],
            [TASK_DEFINITION],
            check_environment_secrets,
        ),
        resource_policy(
            info["ecs-container-logging"], [TASK_DEFINITION], check_container_logging
        ),
        resource_policy(
            info["ecs-fargate-latest-platform"], [SERVICE], check_fargate_platform
        ),
        resource_policy(
            info["ecs-cluster-container-insights"], [CLUSTER], check_container_insights
        ),
        resource_policy(
            info["alb-drop-invalid-headers"],
            [LOAD_BALANCER],
            check_drop_invalid_headers,
        ),
        resource_policy(info["alb-access-logs"], [LOAD_BALANCER], check_access_logs),
        stack_policy(info["alb-http-redirects-to-https"], check_http_redirect),
        resource_policy(
            info["sg-world-ingress-authorized-ports"],
            sg_types,
            check_world_authorized_ports,
        ),
        resource_policy(
            info["sg-world-ingress-high-risk-ports"],
            sg_types,
            check_world_high_risk_ports,
        ),
        resource_policy(
            info["iam-no-full-admin"], IDENTITY_POLICY_TYPES, check_no_full_admin
        ),
        resource_policy(
            info["iam-no-service-wildcard"],
            IDENTITY_POLICY_TYPES,
            check_no_service_wildcard,
        ),
        stack_policy(info["s3-block-public-access"], check_public_access_block),
        resource_policy(
            info["s3-no-public-grants"], bucket_types, check_no_public_grants
        ),
        stack_policy(info["s3-require-tls"], check_require_tls),
    ]
    return policies
