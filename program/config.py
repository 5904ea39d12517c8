"""Stack configuration: every key, its type and default, and its checks.

`load()` reads all keys and reports every invalid one in a single
`ConfigError`, before the program creates any resource. The defaults here
match those declared in `Pulumi.yaml`; the CLI applies that file's defaults
and the SDK does not, so the program needs its own.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

import pulumi

from components import _validation as check
from components.assets_service import LOG_RETENTION_DAYS, LoadBalancerScheme
from components.fargate import validate_task_size
from components.shared_image_store import (
    TRANSITION_DAYS,
    RemovalPolicy,
    ThroughputMode,
)

PROJECT = "retail-assets"
NAT_GATEWAY_CHOICES = ("single", "onePerAz")


class ConfigError(ValueError):
    """Invalid stack config values, each listed in the message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"invalid stack configuration ({len(problems)} problem(s)); nothing "
            f"was created:\n{lines}\nSet each with `pulumi config set "
            f"{PROJECT}:<key> <value>` or edit Pulumi.<stack>.yaml."
        )


@dataclasses.dataclass(frozen=True)
class Key:
    """One config key: its type in Pulumi.yaml, its default and its help."""

    name: str
    type: str
    default: Any
    description: str


KEYS: tuple[Key, ...] = (
    Key(
        "availabilityZones",
        "array",
        [],
        "AZs of the new VPC, at least two, such as us-east-1a. Ignored with existingVpcId.",
    ),
    Key("vpcCidr", "string", "10.0.0.0/16", "CIDR range of the new VPC."),
    Key(
        "natGateways",
        "string",
        "single",
        "NAT gateways of the new VPC: single (one for all AZs) or onePerAz.",
    ),
    Key("existingVpcId", "string", "", "Use this VPC instead of creating one."),
    Key(
        "existingPrivateSubnetIds",
        "array",
        [],
        "Private subnets of existingVpcId, one per AZ, for the tasks and mount targets.",
    ),
    Key(
        "existingPublicSubnetIds",
        "array",
        [],
        "Public subnets of existingVpcId for an internet-facing load balancer.",
    ),
    Key(
        "image",
        "string",
        "public.ecr.aws/aws-containers/retail-store-sample-assets:0.7.0",
        "Container image of the assets service.",
    ),
    Key(
        "cpu",
        "integer",
        256,
        "Task CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384).",
    ),
    Key("memory", "integer", 512, "Task memory in MiB, valid for cpu on Fargate."),
    Key(
        "desiredCount",
        "integer",
        2,
        "Tasks to run, at least 2; also the autoscaling minimum.",
    ),
    Key("maxCount", "integer", 6, "Autoscaling maximum task count."),
    Key(
        "cpuTargetPercent",
        "integer",
        60,
        "Average CPU percent that autoscaling keeps (10 to 90).",
    ),
    Key(
        "requestsPerTarget",
        "integer",
        1000,
        "Load balancer requests per task per minute that autoscaling keeps.",
    ),
    Key("logRetentionDays", "integer", 30, "Days CloudWatch keeps container logs."),
    Key(
        "readOnlyRootFilesystem",
        "boolean",
        False,
        "Run the container with a read-only root file system.",
    ),
    Key("enableExecuteCommand", "boolean", False, "Allow ECS Exec into the tasks."),
    Key(
        "clusterName",
        "string",
        "retail-store-ecs-cluster",
        "Name of the ECS cluster to create.",
    ),
    Key(
        "existingClusterArn",
        "string",
        "",
        "Run in this ECS cluster instead of creating one.",
    ),
    Key(
        "serviceConnect",
        "boolean",
        True,
        "Register the service with ECS Service Connect as http://assets.",
    ),
    Key(
        "namespaceName",
        "string",
        "retailstore.local",
        "Cloud Map namespace to create for Service Connect.",
    ),
    Key(
        "existingNamespaceArn",
        "string",
        "",
        "Use this Cloud Map namespace instead of creating one.",
    ),
    Key("loadBalancerScheme", "string", "internal", "internal or internet-facing."),
    Key(
        "ingressCidrs",
        "array",
        [],
        "IPv4 CIDR ranges admitted to the load balancer. Default: the VPC's range when internal; required when internet-facing.",
    ),
    Key(
        "certificateArn",
        "string",
        "",
        "ACM certificate ARN for HTTPS; HTTP then redirects to HTTPS.",
    ),
    Key("accessLogsBucket", "string", "", "S3 bucket for load balancer access logs."),
    Key(
        "throughputMode",
        "string",
        "elastic",
        "EFS throughput: elastic, bursting or provisioned.",
    ),
    Key(
        "provisionedThroughputMibps", "integer", 0, "MiB/s with provisioned throughput."
    ),
    Key(
        "transitionToIaDays",
        "integer",
        30,
        "Days before EFS moves an unread file to Infrequent Access; 0 never.",
    ),
    Key(
        "transitionToPrimaryOnAccess",
        "boolean",
        True,
        "Move a file back to Standard storage on first access.",
    ),
    Key(
        "backups",
        "boolean",
        True,
        "Automatic AWS Backup of the file system. Turning it off fails the mandatory EFS.2 policy.",
    ),
    Key(
        "kmsKeyArn",
        "string",
        "",
        "Customer managed KMS key for EFS encryption; changing it replaces the file system.",
    ),
    Key("imagesPath", "string", "/images", "Directory on EFS that holds the images."),
    Key("posixUid", "integer", 1000, "User id of all access to the images."),
    Key("posixGid", "integer", 1000, "Group id of all access to the images."),
    Key(
        "storeRemovalPolicy",
        "string",
        "retain",
        "retain (protect the file system) or destroy (throwaway stacks).",
    ),
    Key(
        "imagePublisher",
        "boolean",
        True,
        "Create the S3 staging bucket and sync function that publish images.",
    ),
    Key(
        "maxImageBytes",
        "integer",
        20971520,
        "Largest image the sync function copies, in bytes.",
    ),
    Key(
        "allowedImageExtensions",
        "array",
        [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"],
        "File extensions the sync function accepts.",
    ),
    Key(
        "noncurrentVersionDays",
        "integer",
        30,
        "Days the staging bucket keeps replaced image versions.",
    ),
)

KEYS_BY_NAME = {key.name: key for key in KEYS}

_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclasses.dataclass
class StackConfig:
    """The validated configuration of one stack, keyed as in Pulumi.yaml."""

    values: dict[str, Any]
    region: str

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def uses_existing_vpc(self) -> bool:
        return bool(self.values["existingVpcId"])


Rule = Callable[[dict[str, Any]], None]


def _parse(key: Key, raw: str | None) -> Any:
    """Return the typed value of one key, or its default when unset."""
    if raw is None:
        return key.default
    if key.type == "string":
        return raw
    if key.type == "integer":
        # int() also takes '1_0' and non-ASCII digits, which the CLI does not.
        if not _INTEGER.fullmatch(raw.strip()):
            raise ValueError(f"{key.name} is {raw!r}; it must be a whole number.")
        return int(raw)
    if key.type == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError(f"{key.name} is {raw!r}; it must be true or false.")
        return lowered == "true"
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError(
            f"{key.name} is {raw!r}; it must be a list, such as "
            f'["a", "b"] in YAML or `pulumi config set --path {key.name}[0] a`.'
        ) from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key.name} is {raw!r}; it must be a list of strings.")
    return value


def load() -> StackConfig:
    """Read and validate every config key of the current stack."""
    config = pulumi.Config(PROJECT)
    raw = {key.name: config.get(key.name) for key in KEYS}
    region = pulumi.Config("aws").get("region") or ""
    unknown = unknown_keys(_configured_keys())
    try:
        stack = validate(raw, region)
    except ConfigError as error:
        raise ConfigError(unknown + error.problems) from None
    if unknown:
        raise ConfigError(unknown)
    return stack


def _configured_keys() -> set[str]:
    """Return every config key the stack sets, as `namespace:key`."""
    # NOTE: pulumi.Config reads one key at a time. The full set is only in the
    # SDK's runtime module, an internal interface: the CLI's values arrive in
    # PULUMI_CONFIG and values set under mocks in CONFIG.
    from pulumi.runtime import config as runtime_config

    return set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())


def unknown_keys(configured: set[str]) -> list[str]:
    """Return a problem for each project key that Pulumi.yaml does not declare."""
    problems = []
    for full_key in sorted(configured):
        namespace, _, name = full_key.partition(":")
        if namespace != PROJECT or name in KEYS_BY_NAME:
            continue
        close = difflib.get_close_matches(name, KEYS_BY_NAME, n=1)
        hint = f"did you mean {close[0]}?" if close else "see Pulumi.yaml for the keys."
        problems.append(f"{full_key} is not a config key of this project; {hint}")
    return problems


def validate(raw: dict[str, str | None], region: str) -> StackConfig:
    """Return the typed config, or raise ConfigError listing every problem."""
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key in KEYS:
        try:
            values[key.name] = _parse(key, raw.get(key.name))
        except ValueError as error:
            problems.append(str(error))
    if not region:
        problems.append(
            "aws:region is not set; set it with `pulumi config set aws:region "
            "us-east-1`."
        )
    # A rule that reads a key that failed to parse is skipped (KeyError), so
    # every other rule still runs and reports its own key.
    for rule in _RULES:
        try:
            rule(values)
        except KeyError:
            continue
        except (TypeError, ValueError) as error:
            problems.append(str(error))
    if region and "availabilityZones" in values and "existingVpcId" in values:
        problems += _check_zones(values, region)
    if region:
        problems += _check_arn_regions(values, region)
    if problems:
        raise ConfigError(problems)
    return StackConfig(values=values, region=region)


def _check_network(values: dict[str, Any]) -> None:
    if not values["existingVpcId"]:
        for field in ("existingPrivateSubnetIds", "existingPublicSubnetIds"):
            if values[field]:
                raise ValueError(
                    f"{field} is set but existingVpcId is not; subnets of an "
                    "existing VPC need its id. Set existingVpcId or remove them."
                )
        return
    if not re.fullmatch(r"vpc-[0-9a-f]{8,17}", values["existingVpcId"]):
        raise ValueError(
            f"existingVpcId is {values['existingVpcId']!r}; give a VPC id "
            "such as vpc-0a1b2c3d4e5f60718."
        )
    if len(values["existingPrivateSubnetIds"]) < 2:
        raise ValueError(
            "existingPrivateSubnetIds has "
            f"{len(values['existingPrivateSubnetIds'])} subnet(s); with "
            "existingVpcId give at least two private subnets in different AZs."
        )


def _check_vpc_cidr(values: dict[str, Any]) -> None:
    if values["existingVpcId"]:
        return
    try:
        network = ipaddress.ip_network(values["vpcCidr"], strict=True)
    except ValueError as error:
        raise ValueError(
            f"vpcCidr is {values['vpcCidr']!r}, which is not a CIDR range "
            f"({error}); give one such as 10.0.0.0/16."
        ) from None
    if network.version != 4 or not 16 <= network.prefixlen <= 24:
        raise ValueError(
            f"vpcCidr is {values['vpcCidr']!r}; a VPC needs an IPv4 range from "
            "/16 to /24."
        )


def _check_desired_count(values: dict[str, Any]) -> None:
    if values["desiredCount"] < 2:
        raise ValueError(
            f"desiredCount is {values['desiredCount']}; at least 2 tasks are "
            "needed for the service to stay up when a task or an AZ fails."
        )
    check.require_int_in_range("desiredCount", values["desiredCount"], 2, 1000)


def _check_max_count(values: dict[str, Any]) -> None:
    check.require_int_in_range("maxCount", values["maxCount"], 2, 1000)
    if values["maxCount"] < values["desiredCount"]:
        raise ValueError(
            f"maxCount is {values['maxCount']}, below desiredCount "
            f"{values['desiredCount']}; set maxCount >= desiredCount."
        )


def _check_arn(field: str, service: str, resource: str) -> Rule:
    pattern = re.compile(
        rf"arn:aws[a-z-]*:{service}:[a-z0-9-]+:\d{{12}}:{resource}[A-Za-z0-9_/.-]+"
    )

    def rule(values: dict[str, Any]) -> None:
        if values[field] and not pattern.fullmatch(values[field]):
            raise ValueError(
                f"{field} is {values[field]!r}; give an ARN such as "
                f"arn:aws:{service}:us-east-1:123456789012:{resource}example."
            )

    return rule


def _check_cluster_name(values: dict[str, Any]) -> None:
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", values["clusterName"]):
        raise ValueError(
            f"clusterName is {values['clusterName']!r}; ECS allows 1 to 255 "
            "letters, digits, hyphens and underscores."
        )


def _check_namespace(values: dict[str, Any]) -> None:
    if values["existingNamespaceArn"] and not values["serviceConnect"]:
        raise ValueError(
            "existingNamespaceArn is set but serviceConnect is false; remove it "
            "or turn serviceConnect on."
        )


def _check_ingress_cidrs(values: dict[str, Any]) -> None:
    # Empty means the VPC's range (internal) or is reported as missing.
    if values["ingressCidrs"]:
        check.require_ingress_cidrs("ingressCidrs", values["ingressCidrs"])


def _check_internet_facing(values: dict[str, Any]) -> None:
    if values["loadBalancerScheme"] != LoadBalancerScheme.INTERNET_FACING.value:
        return
    if not values["ingressCidrs"]:
        raise ValueError(
            "loadBalancerScheme is internet-facing but ingressCidrs is empty; "
            "list the ranges that may connect (0.0.0.0/0 for everyone)."
        )
    if values["existingVpcId"] and len(values["existingPublicSubnetIds"]) < 2:
        raise ValueError(
            "loadBalancerScheme is internet-facing with existingVpcId; give "
            "at least two existingPublicSubnetIds for the load balancer."
        )


def _check_throughput(values: dict[str, Any]) -> None:
    mode = check.coerce_enum("throughputMode", values["throughputMode"], ThroughputMode)
    mibps = values["provisionedThroughputMibps"]
    if mode is ThroughputMode.PROVISIONED and not 1 <= mibps <= 3414:
        raise ValueError(
            f"provisionedThroughputMibps is {mibps}; with provisioned throughput "
            "give 1 to 3414 MiB/s."
        )
    if mode is not ThroughputMode.PROVISIONED and mibps:
        raise ValueError(
            f"provisionedThroughputMibps is {mibps} but throughputMode is "
            f"{mode.value}; set throughputMode to provisioned or remove it."
        )


def _check_image(values: dict[str, Any]) -> None:
    image = values["image"]
    if not image.strip() or any(c.isspace() for c in image):
        raise ValueError(
            f"image is {image!r}; give a container image reference without "
            "spaces, such as public.ecr.aws/aws-containers/"
            "retail-store-sample-assets:0.7.0."
        )


def _check_namespace_name(values: dict[str, Any]) -> None:
    if values["existingNamespaceArn"] or not values["serviceConnect"]:
        return
    name = values["namespaceName"]
    label = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
    if len(name) > 253 or not re.fullmatch(rf"{label}(\.{label})*", name):
        raise ValueError(
            f"namespaceName is {name!r}; give a DNS name of lowercase labels, "
            "such as retailstore.local."
        )


def _check_access_logs_bucket(values: dict[str, Any]) -> None:
    bucket = values["accessLogsBucket"]
    if bucket and (
        not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket) or ".." in bucket
    ):
        raise ValueError(
            f"accessLogsBucket is {bucket!r}; give an S3 bucket name of 3 to 63 "
            "lowercase letters, digits, dots and hyphens."
        )


def _one_of(field: str, allowed: Any) -> Rule:
    return lambda values: check.require_one_of(field, values[field], allowed)


def _in_range(field: str, minimum: int, maximum: int) -> Rule:
    return lambda values: check.require_int_in_range(
        field, values[field], minimum, maximum
    )


def _enum(field: str, enum_type: Any) -> Rule:
    return lambda values: check.coerce_enum(field, values[field], enum_type)


# Each rule checks one key or one relation between keys, so a single run
# reports every invalid key.
_RULES: tuple[Rule, ...] = (
    _check_network,
    _check_vpc_cidr,
    _one_of("natGateways", NAT_GATEWAY_CHOICES),
    lambda values: validate_task_size(values["cpu"], values["memory"]),
    _check_desired_count,
    _check_max_count,
    _in_range("cpuTargetPercent", 10, 90),
    _in_range("requestsPerTarget", 1, 1000000),
    _one_of("logRetentionDays", LOG_RETENTION_DAYS),
    _check_cluster_name,
    _check_arn("existingClusterArn", "ecs", "cluster/"),
    _check_arn("existingNamespaceArn", "servicediscovery", "namespace/"),
    _check_namespace,
    _enum("loadBalancerScheme", LoadBalancerScheme),
    _check_ingress_cidrs,
    _check_internet_facing,
    _check_arn("certificateArn", "acm", "certificate/"),
    _check_throughput,
    _one_of("transitionToIaDays", (0, *TRANSITION_DAYS)),
    _check_arn("kmsKeyArn", "kms", "key/"),
    lambda values: check.require_images_path("imagesPath", values["imagesPath"]),
    _in_range("posixUid", 0, 4294967295),
    _in_range("posixGid", 0, 4294967295),
    _enum("storeRemovalPolicy", RemovalPolicy),
    _in_range("maxImageBytes", 1, 5 * 2**30),
    lambda values: check.require_image_extensions(
        "allowedImageExtensions", values["allowedImageExtensions"]
    ),
    _check_image,
    _check_namespace_name,
    _check_access_logs_bucket,
    _in_range("noncurrentVersionDays", 1, 3650),
)


def _check_zones(values: dict[str, Any], region: str) -> list[str]:
    if values["existingVpcId"]:
        return []
    zones = values["availabilityZones"]
    example = f"[{region or 'us-east-1'}a, {region or 'us-east-1'}b]"
    if len(set(zones)) < 2 or len(set(zones)) != len(zones):
        return [
            f"availabilityZones is {zones}; give at least two different AZs of "
            f"{region or 'the region'}, such as {example}."
        ]
    outside = [z for z in zones if not re.fullmatch(rf"{re.escape(region)}[a-z]", z)]
    if outside:
        return [
            f"availabilityZones has {', '.join(outside)}, outside aws:region "
            f"{region}; give AZs such as {example}."
        ]
    return []


def _check_arn_regions(values: dict[str, Any], region: str) -> list[str]:
    """Return a problem for each regional ARN outside `region`."""
    problems = []
    for field in (
        "certificateArn",
        "kmsKeyArn",
        "existingClusterArn",
        "existingNamespaceArn",
    ):
        parts = str(values.get(field) or "").split(":")
        if len(parts) > 3 and parts[3] and parts[3] != region:
            problems.append(
                f"{field} is in {parts[3]}, but aws:region is {region}; give a "
                f"resource in {region}."
            )
    return problems
