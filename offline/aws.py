"""A stand-in for the AWS and awsx providers under Pulumi's mocks.

Every resource gets an id, ARN and computed attributes in the format AWS
uses, derived from a hash of its logical name, so two runs of the same
program print the same values. Invokes cover the data sources the program
and the components call. An unknown token raises instead of returning an
empty result, so a missing stand-in is found at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"


def _hex(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    while len(digest) < length:
        digest += hashlib.sha256(digest.encode()).hexdigest()
    return digest[:length]


def _digits(seed: str, length: int) -> str:
    return str(int(_hex(seed, 16), 16))[:length].rjust(length, "0")


@dataclasses.dataclass
class Subnet:
    """A subnet that exists before the program runs."""

    id: str
    vpc_id: str
    availability_zone: str
    cidr_block: str
    map_public_ip_on_launch: bool = False


@dataclasses.dataclass
class Vpc:
    """A VPC that exists before the program runs."""

    id: str
    cidr_block: str
    enable_dns_support: bool = True
    enable_dns_hostnames: bool = True


def default_existing_network() -> tuple[list[Vpc], list[Subnet]]:
    """Return a VPC with private and public subnets in three AZs of us-east-1."""
    vpc = Vpc(id="vpc-0a1b2c3d4e5f60718", cidr_block="10.20.0.0/16")
    subnets = []
    for index, zone in enumerate(("us-east-1a", "us-east-1b", "us-east-1c")):
        subnets.append(
            Subnet(
                id=f"subnet-0{_hex('private' + zone, 16)}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=f"10.20.{index * 32}.0/19",
            )
        )
        subnets.append(
            Subnet(
                id=f"subnet-0{_hex('public' + zone, 16)}",
                vpc_id=vpc.id,
                availability_zone=zone,
                cidr_block=f"10.20.{128 + index * 32}.0/19",
                map_public_ip_on_launch=True,
            )
        )
    return [vpc], subnets


class AwsMocks(pulumi.runtime.Mocks):
    """Mocks that respond like AWS in one account and region.

    `vpcs` and `subnets` are the network that already exists, which
    `aws.ec2.getVpc` and `aws.ec2.getSubnet` return.
    """

    def __init__(
        self,
        region: str = "us-east-1",
        account_id: str = ACCOUNT_ID,
        vpcs: list[Vpc] | None = None,
        subnets: list[Subnet] | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        default_vpcs, default_subnets = default_existing_network()
        self.vpcs = {vpc.id: vpc for vpc in (vpcs or default_vpcs)}
        self.subnets = {subnet.id: subnet for subnet in (subnets or default_subnets)}
        self._subnet_zones: dict[str, str] = {
            s.id: s.availability_zone for s in self.subnets.values()
        }

    # Resources

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        inputs = dict(args.inputs)
        handler = _RESOURCE_HANDLERS.get(args.typ, _generic_resource)
        resource_id, computed = handler(self, args.name, inputs)
        # A remote component's state is its outputs alone: its inputs share
        # names with outputs of other types (awsx's natGateways, for one).
        if args.typ.startswith("awsx:"):
            return resource_id, computed
        return resource_id, {**inputs, **computed}

    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        """Return an ARN in this mock's account (IAM and S3 ARNs have no region)."""
        region_part = self.region if region else ""
        account_part = self.account_id if service != "s3" else ""
        return f"arn:aws:{service}:{region_part}:{account_part}:{resource}"

    def physical_name(self, name: str, inputs: Mapping[str, Any], limit: int) -> str:
        """Return the given `name` input, or an auto-name as Pulumi makes one."""
        given = inputs.get("name")
        if given:
            return str(given)
        prefix = inputs.get("namePrefix")
        if prefix:
            return f"{prefix}{_hex(name, 26)}"[:limit]
        return f"{name[: limit - 8]}-{_hex(name, 7)}"

    def describe_existing_network(self) -> str:
        """Return the existing VPCs and subnets, for messages."""
        vpcs = ", ".join(sorted(self.vpcs))
        described = []
        for subnet in self.subnets.values():
            kind = "public" if subnet.map_public_ip_on_launch else "private"
            described.append(f"{subnet.id} ({subnet.availability_zone}, {kind})")
        subnets = ", ".join(described)
        return f"VPC {vpcs} with subnets {subnets}"

    @property
    def subnet_zones(self) -> dict[str, str]:
        """The AZ of every subnet the mocks were given or created, by id."""
        return dict(self._subnet_zones)

    def zone_of_subnet(self, subnet_id: str) -> str:
        """Return the AZ of a subnet the mocks created or were given."""
        return self._subnet_zones.get(subnet_id, f"{self.region}a")

    # Invokes

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        handler = _INVOKE_HANDLERS.get(args.token)
        if handler is None:
            raise NotImplementedError(
                f"the offline AWS stand-in has no response for invoke {args.token}; "
                "add one to offline/aws.py"
            )
        return handler(self, dict(args.args))


ResourceHandler = Callable[[AwsMocks, str, dict], tuple[str, dict]]
_RESOURCE_HANDLERS: dict[str, ResourceHandler] = {}
_INVOKE_HANDLERS: dict[str, Callable[[AwsMocks, dict], dict]] = {}


def _resource(*tokens: str) -> Callable[[ResourceHandler], ResourceHandler]:
    def register(handler: ResourceHandler) -> ResourceHandler:
        for token in tokens:
            _RESOURCE_HANDLERS[token] = handler
        return handler

    return register


def _invoke(token: str) -> Callable:
    def register(handler: Callable) -> Callable:
        _INVOKE_HANDLERS[token] = handler
        return handler

    return register


def _generic_resource(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    return f"{name}-{_hex(name, 8)}", {}


# Networking


@_resource("awsx:ec2:Vpc")
def _awsx_vpc(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    zones = inputs.get("availabilityZoneNames") or [
        f"{mocks.region}{letter}" for letter in "abc"
    ]
    vpc_id = f"vpc-0{_hex(name, 16)}"
    cidr = inputs.get("cidrBlock", "10.0.0.0/16")
    mocks.vpcs[vpc_id] = Vpc(id=vpc_id, cidr_block=cidr)
    subnet_ids: dict[str, list[str]] = {"private": [], "public": []}
    for kind in subnet_ids:
        for zone in zones:
            subnet_id = f"subnet-0{_hex(name + kind + zone, 16)}"
            subnet_ids[kind].append(subnet_id)
            mocks._subnet_zones[subnet_id] = zone
    # Outputs that are resource references (subnets, natGateways) are left
    # out: a mock cannot return resources, and the program reads only ids.
    return f"{name}", {
        "vpcId": vpc_id,
        "privateSubnetIds": subnet_ids["private"],
        "publicSubnetIds": subnet_ids["public"],
        "isolatedSubnetIds": [],
    }


@_resource("aws:ec2/securityGroup:SecurityGroup")
def _security_group(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    group_id = f"sg-0{_hex(name, 16)}"
    return group_id, {
        "arn": mocks.arn("ec2", f"security-group/{group_id}"),
        "name": mocks.physical_name(name, inputs, 255),
        "ownerId": mocks.account_id,
    }


@_resource(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)
def _security_group_rule(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    rule_id = f"sgr-0{_hex(name, 16)}"
    return rule_id, {
        "arn": mocks.arn("ec2", f"security-group-rule/{rule_id}"),
        "securityGroupRuleId": rule_id,
    }


@_resource("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    endpoint_id = f"vpce-0{_hex(name, 16)}"
    return endpoint_id, {"arn": mocks.arn("ec2", f"vpc-endpoint/{endpoint_id}")}


# EFS


@_resource("aws:efs/fileSystem:FileSystem")
def _file_system(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    fs_id = f"fs-0{_hex(name, 16)}"
    return fs_id, {
        "arn": mocks.arn("elasticfilesystem", f"file-system/{fs_id}"),
        "dnsName": f"{fs_id}.efs.{mocks.region}.amazonaws.com",
        "ownerId": mocks.account_id,
        "numberOfMountTargets": 0,
    }


@_resource("aws:efs/accessPoint:AccessPoint")
def _access_point(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    ap_id = f"fsap-0{_hex(name, 16)}"
    fs_id = inputs.get("fileSystemId", "")
    return ap_id, {
        "arn": mocks.arn("elasticfilesystem", f"access-point/{ap_id}"),
        "fileSystemArn": mocks.arn("elasticfilesystem", f"file-system/{fs_id}"),
        "ownerId": mocks.account_id,
    }


@_resource("aws:efs/mountTarget:MountTarget")
def _mount_target(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    mt_id = f"fsmt-0{_hex(name, 16)}"
    zone = mocks.zone_of_subnet(str(inputs.get("subnetId", "")))
    return mt_id, {
        "availabilityZoneName": zone,
        "availabilityZoneId": f"use1-az{ord(zone[-1]) - ord('a') + 1}",
        "networkInterfaceId": f"eni-0{_hex(name, 16)}",
        "ipAddress": f"10.0.{int(_hex(name, 2), 16) % 250}.{10 + len(name) % 200}",
        "dnsName": (
            f"{zone}.{inputs.get('fileSystemId')}.efs.{mocks.region}.amazonaws.com"
        ),
        "ownerId": mocks.account_id,
    }


@_resource(
    "aws:efs/backupPolicy:BackupPolicy", "aws:efs/fileSystemPolicy:FileSystemPolicy"
)
def _file_system_attachment(
    mocks: AwsMocks, name: str, inputs: dict
) -> tuple[str, dict]:
    return str(inputs.get("fileSystemId", name)), {}


# IAM


@_resource("aws:iam/role:Role")
def _role(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    role_name = mocks.physical_name(name, inputs, 64)
    return role_name, {
        "name": role_name,
        "arn": mocks.arn("iam", f"role/{role_name}", region=False),
        "uniqueId": f"AROA{_hex(name, 17).upper()}",
    }


@_resource("aws:iam/rolePolicy:RolePolicy")
def _role_policy(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    policy_name = mocks.physical_name(name, inputs, 128)
    return f"{inputs.get('role')}:{policy_name}", {"name": policy_name}


@_resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def _role_policy_attachment(
    mocks: AwsMocks, name: str, inputs: dict
) -> tuple[str, dict]:
    return f"{inputs.get('role')}-{_hex(name, 20)}", {}


# ECS and Cloud Map


@_resource("aws:ecs/cluster:Cluster")
def _cluster(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = mocks.physical_name(name, inputs, 255)
    arn = mocks.arn("ecs", f"cluster/{cluster_name}")
    return arn, {"arn": arn, "name": cluster_name}


@_resource("aws:ecs/taskDefinition:TaskDefinition")
def _task_definition(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    family = inputs.get("family", name)
    arn = mocks.arn("ecs", f"task-definition/{family}:1")
    return family, {
        "arn": arn,
        "arnWithoutRevision": arn.rsplit(":", 1)[0],
        "revision": 1,
    }


@_resource("aws:ecs/service:Service")
def _service(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    service_name = mocks.physical_name(name, inputs, 255)
    cluster = str(inputs.get("cluster", "default")).rsplit("/", 1)[-1]
    arn = mocks.arn("ecs", f"service/{cluster}/{service_name}")
    return arn, {"arn": arn, "name": service_name}


@_resource(
    "aws:servicediscovery/httpNamespace:HttpNamespace",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
)
def _namespace(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    namespace_id = f"ns-{_hex(name, 16)}"
    return namespace_id, {
        "arn": mocks.arn("servicediscovery", f"namespace/{namespace_id}"),
        "hostedZone": f"Z0{_hex(name, 19).upper()}",
        "httpName": inputs.get("name"),
    }


@_resource("aws:cloudwatch/logGroup:LogGroup")
def _log_group(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    group_name = mocks.physical_name(name, inputs, 512)
    return group_name, {
        "name": group_name,
        "arn": mocks.arn("logs", f"log-group:{group_name}"),
    }


@_resource("aws:cloudwatch/metricAlarm:MetricAlarm")
def _metric_alarm(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    alarm_name = mocks.physical_name(name, inputs, 255)
    return alarm_name, {
        "name": alarm_name,
        "arn": mocks.arn("cloudwatch", f"alarm:{alarm_name}"),
    }


# Load balancing and autoscaling


@_resource("aws:lb/loadBalancer:LoadBalancer")
def _load_balancer(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    lb_name = mocks.physical_name(name, inputs, 32)
    suffix = f"app/{lb_name}/{_hex(name, 16)}"
    arn = mocks.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
    prefix = "internal-" if inputs.get("internal") else ""
    return arn, {
        "arn": arn,
        "arnSuffix": suffix,
        "name": lb_name,
        "dnsName": (
            f"{prefix}{lb_name}-{_digits(name, 10)}.{mocks.region}.elb.amazonaws.com"
        ),
        "zoneId": "Z35SXDOTRQ7X7K",
    }


@_resource("aws:lb/targetGroup:TargetGroup")
def _target_group(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    tg_name = mocks.physical_name(name, inputs, 32)
    suffix = f"targetgroup/{tg_name}/{_hex(name, 16)}"
    arn = mocks.arn("elasticloadbalancing", suffix)
    return arn, {"arn": arn, "arnSuffix": suffix, "name": tg_name}


@_resource("aws:lb/listener:Listener")
def _listener(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    lb_arn = str(inputs.get("loadBalancerArn", ""))
    lb_path = lb_arn.split(":loadbalancer/", 1)[-1]
    arn = mocks.arn("elasticloadbalancing", f"listener/{lb_path}/{_hex(name, 16)}")
    return arn, {"arn": arn}


@_resource("aws:appautoscaling/target:Target")
def _scaling_target(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    resource_id = str(inputs.get("resourceId", name))
    return resource_id, {
        "arn": mocks.arn(
            "application-autoscaling", f"scalable-target/{_hex(name, 30)}"
        ),
    }


@_resource("aws:appautoscaling/policy:Policy")
def _scaling_policy(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    policy_name = mocks.physical_name(name, inputs, 255)
    return policy_name, {
        "name": policy_name,
        "arn": mocks.arn(
            "autoscaling",
            f"scalingPolicy:{_hex(name, 36)}:resource/ecs/"
            f"{inputs.get('resourceId')}:policyName/{policy_name}",
        ),
    }


# Storage, functions and queues


@_resource("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _bucket(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    bucket = inputs.get("bucket") or f"{name[:54]}-{_hex(name, 7)}"
    if inputs.get("bucketPrefix"):
        bucket = f"{inputs['bucketPrefix']}{_digits(name, 20)}"
    return bucket, {
        "bucket": bucket,
        "arn": mocks.arn("s3", bucket, region=False),
        "bucketDomainName": f"{bucket}.s3.amazonaws.com",
        "bucketRegionalDomainName": f"{bucket}.s3.{mocks.region}.amazonaws.com",
        "region": mocks.region,
    }


@_resource("aws:lambda/function:Function")
def _function(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    function_name = mocks.physical_name(name, inputs, 64)
    arn = mocks.arn("lambda", f"function:{function_name}")
    return function_name, {
        "name": function_name,
        "arn": arn,
        "qualifiedArn": f"{arn}:$LATEST",
        "invokeArn": (
            f"arn:aws:apigateway:{mocks.region}:lambda:path/2015-03-31/functions/"
            f"{arn}/invocations"
        ),
        "version": "$LATEST",
    }


@_resource("aws:lambda/permission:Permission")
def _permission(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    return str(inputs.get("statementId") or name), {}


@_resource("aws:sqs/queue:Queue")
def _queue(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    queue_name = mocks.physical_name(name, inputs, 80)
    url = f"https://sqs.{mocks.region}.amazonaws.com/{mocks.account_id}/{queue_name}"
    return url, {
        "name": queue_name,
        "url": url,
        "arn": mocks.arn("sqs", queue_name),
    }


@_resource("aws:sns/topic:Topic")
def _topic(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    topic_name = mocks.physical_name(name, inputs, 256)
    arn = mocks.arn("sns", topic_name)
    return arn, {"name": topic_name, "arn": arn}


@_resource("aws:kms/key:Key")
def _kms_key(mocks: AwsMocks, name: str, inputs: dict) -> tuple[str, dict]:
    key_id = (
        f"{_hex(name, 8)}-{_hex(name + '1', 4)}-{_hex(name + '2', 4)}-"
        f"{_hex(name + '3', 4)}-{_hex(name + '4', 12)}"
    )
    return key_id, {"keyId": key_id, "arn": mocks.arn("kms", f"key/{key_id}")}


# Invokes


@_invoke("aws:index/getRegion:getRegion")
def _get_region(mocks: AwsMocks, args: dict) -> dict:
    return {
        "id": mocks.region,
        "name": mocks.region,
        "region": mocks.region,
        "endpoint": f"ec2.{mocks.region}.amazonaws.com",
        "description": "US East (N. Virginia)",
    }


@_invoke("aws:index/getCallerIdentity:getCallerIdentity")
def _get_caller_identity(mocks: AwsMocks, args: dict) -> dict:
    return {
        "id": mocks.account_id,
        "accountId": mocks.account_id,
        "arn": f"arn:aws:iam::{mocks.account_id}:user/offline-preview",
        "userId": "AIDAOFFLINEPREVIEW00000",
    }


@_invoke("aws:index/getPartition:getPartition")
def _get_partition(mocks: AwsMocks, args: dict) -> dict:
    return {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    }


@_invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def _get_availability_zones(mocks: AwsMocks, args: dict) -> dict:
    names = [f"{mocks.region}{letter}" for letter in "abcdef"]
    return {
        "id": mocks.region,
        "names": names,
        "zoneIds": [f"use1-az{i + 1}" for i in range(len(names))],
        "groupNames": [mocks.region] * len(names),
    }


@_invoke("aws:ec2/getSubnet:getSubnet")
def _get_subnet(mocks: AwsMocks, args: dict) -> dict:
    subnet_id = args.get("id")
    subnet = mocks.subnets.get(str(subnet_id))
    if subnet is None:
        raise LookupError(
            f"InvalidSubnetID.NotFound: The subnet ID '{subnet_id}' does not exist"
        )
    return {
        "id": subnet.id,
        "vpcId": subnet.vpc_id,
        "availabilityZone": subnet.availability_zone,
        "cidrBlock": subnet.cidr_block,
        "mapPublicIpOnLaunch": subnet.map_public_ip_on_launch,
        "arn": mocks.arn("ec2", f"subnet/{subnet.id}"),
    }


@_invoke("aws:ec2/getVpc:getVpc")
def _get_vpc(mocks: AwsMocks, args: dict) -> dict:
    vpc_id = args.get("id")
    vpc = mocks.vpcs.get(str(vpc_id))
    if vpc is None:
        raise LookupError(
            f"InvalidVpcID.NotFound: The vpc ID '{vpc_id}' does not exist"
        )
    return {
        "id": vpc.id,
        "cidrBlock": vpc.cidr_block,
        "enableDnsSupport": vpc.enable_dns_support,
        "enableDnsHostnames": vpc.enable_dns_hostnames,
        "arn": mocks.arn("ec2", f"vpc/{vpc.id}"),
    }


@_invoke("aws:ec2/getPrefixList:getPrefixList")
def _get_prefix_list(mocks: AwsMocks, args: dict) -> dict:
    name = str(args.get("name", ""))
    prefix_list_id = f"pl-{_hex(name, 8)}"
    return {
        "id": prefix_list_id,
        "prefixListId": prefix_list_id,
        "name": name,
        "cidrBlocks": ["3.5.0.0/19", "52.216.0.0/15"],
    }
