"""HighlyAvailableAssetsService: the assets nginx on Fargate across AZs."""

import json
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from . import _validation as check
from ._aliases import RenamedChildren, with_renamed_children
from .efs_access import (
    AccessLevel,
    ImageStoreMountArgs,
    grant_role_policy,
    mount_targets_ready,
    open_nfs_path,
)
from .fargate import validate_task_size
from .network import SubnetArgs, allow_tcp

DEFAULT_IMAGE = "public.ecr.aws/aws-containers/retail-store-sample-assets:0.7.0"
CONTAINER_NAME = "application"
CONTAINER_PORT = 8080
PORT_NAME = "application"
HEALTH_CHECK_PATH = "/health.html"
IMAGES_MOUNT_PATH = "/usr/share/nginx/html/assets"
IMAGES_VOLUME = "images"

# Paths the image's nginx writes to, given scratch volumes when the root file
# system is read-only: logs, temporary request bodies and the pid file.
NGINX_WRITABLE_PATHS = {
    "nginx-logs": "/var/log/nginx",
    "nginx-temp": "/var/lib/nginx/tmp",
    "nginx-run": "/run",
}

# Retention periods CloudWatch Logs accepts, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
    1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# TLS 1.3 and 1.2 only, the ELB policy AWS recommends for new listeners.
SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

_PHYSICAL_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]")

# Children renamed since a release: current name suffix -> earlier suffixes.
_RENAMED_CHILDREN: RenamedChildren = {}


class LoadBalancerScheme(str, Enum):
    """Network reachability of the load balancer."""

    INTERNAL = "internal"
    """Only from inside the VPC and connected networks."""
    INTERNET_FACING = "internet-facing"
    """From the internet, through public subnets."""


class HighlyAvailableAssetsServiceArgs(TypedDict):
    """Inputs of a HighlyAvailableAssetsService."""

    vpc_id: pulumi.Input[str]
    """The VPC of the tasks and the load balancer."""
    subnets: list[SubnetArgs]
    """Private subnets for the tasks, in at least two Availability Zones that
    each have a mount target of the image store."""
    load_balancer_subnet_ids: pulumi.Input[list[str]]
    """Subnets of the load balancer, in at least two Availability Zones;
    public ones when `load_balancer_scheme` is `internet-facing`."""
    load_balancer_ingress_cidrs: list[str]
    """CIDR ranges admitted to the listener ports. There is no default, so
    the load balancer is never open to the internet unless asked."""
    image_store: ImageStoreMountArgs
    """The store to mount, from `SharedImageStore.mount_args()`."""
    image: NotRequired[pulumi.Input[str]]
    """Container image. Default: the retail store sample's assets 0.7.0."""
    cpu: NotRequired[int]
    """Task CPU units. Default: 256."""
    memory: NotRequired[int]
    """Task memory in MiB, valid for `cpu` on Fargate. Default: 512."""
    desired_count: NotRequired[int]
    """Tasks to run, at least 2; also the autoscaling minimum. Default: 2."""
    max_count: NotRequired[int]
    """Autoscaling maximum. Default: 6."""
    cpu_target_percent: NotRequired[float]
    """Average CPU the scaling policy keeps the service at. Default: 60."""
    requests_per_target: NotRequired[int]
    """Load balancer requests per task per minute the scaling policy keeps the
    service at. Default: 1000."""
    log_retention_days: NotRequired[int]
    """Days CloudWatch keeps the container logs. Default: 30."""
    read_only_root_filesystem: NotRequired[bool]
    """Mount the container's root file system read-only, with scratch volumes
    for the paths nginx writes. Default: false, because the 0.x assets image
    runs nginx as user `nginx` and declares no VOLUME, so Fargate creates the
    scratch volumes owned by root with mode 0755 and nginx cannot write its
    pid file, logs or temporary files. Enable it for an image that declares
    those paths as volumes owned by its user."""
    enable_execute_command: NotRequired[bool]
    """Allow ECS Exec into the tasks, adding its permissions to the task role.
    Default: false."""
    cluster_arn: NotRequired[pulumi.Input[str]]
    """Run in an existing ECS cluster instead of creating one."""
    cluster_name: NotRequired[str]
    """Name of the cluster to create. Default: `retail-store-ecs-cluster`."""
    service_connect: NotRequired[bool]
    """Register with ECS Service Connect, so clients reach the service as
    `http://<discovery_name>`. Default: true."""
    namespace_arn: NotRequired[pulumi.Input[str]]
    """An existing Cloud Map namespace for Service Connect."""
    namespace_name: NotRequired[str]
    """Name of the Cloud Map namespace to create. Default: `retailstore.local`."""
    discovery_name: NotRequired[str]
    """Service Connect discovery name and client alias. Default: `assets`."""
    client_alias_port: NotRequired[int]
    """Port clients use through Service Connect. Default: 80."""
    service_connect_client_security_group_ids: NotRequired[
        Mapping[str, pulumi.Input[str]]
    ]
    """Security groups of Service Connect clients, such as the UI's, admitted
    to the container port; keyed by a label that names the rule. Default:
    none."""
    load_balancer_scheme: NotRequired[LoadBalancerScheme]
    """Default: `internal`."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """An ACM certificate for an HTTPS listener; HTTP then redirects to it.
    Default: HTTP only."""
    access_logs_bucket: NotRequired[pulumi.Input[str]]
    """An S3 bucket for load balancer access logs. Default: no access logs."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for every taggable child. Default: none."""


class HighlyAvailableAssetsService(pulumi.ComponentResource):
    """The assets nginx as a multi-task Fargate service across AZs.

    Every task mounts the shared image store read-only through its access
    point. The service sits behind an Application Load Balancer, registers
    with Service Connect, scales on CPU and request count, and rolls back a
    deployment whose tasks do not become healthy.
    """

    service_name: pulumi.Output[str]
    """The ECS service name."""
    service_arn: pulumi.Output[str]
    """The ECS service ARN."""
    cluster_name: pulumi.Output[str]
    """The ECS cluster name."""
    cluster_arn: pulumi.Output[str]
    """The ECS cluster ARN."""
    task_definition_arn: pulumi.Output[str]
    """The ARN of the task definition revision the service runs."""
    security_group_id: pulumi.Output[str]
    """The id of the tasks' security group."""
    load_balancer_dns_name: pulumi.Output[str]
    """The load balancer's DNS name."""
    url: pulumi.Output[str]
    """The service's URL through the load balancer."""
    service_connect_url: pulumi.Output[str]
    """The URL Service Connect clients use, such as `http://assets`; empty when
    Service Connect is off."""

    def __init__(
        self,
        name: str,
        args: HighlyAvailableAssetsServiceArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = _Settings.from_args(name, args)
        # Children renamed since a release keep their state through aliases.
        opts = with_renamed_children(opts, name, _RENAMED_CHILDREN)
        super().__init__(
            "retailassets:index:HighlyAvailableAssetsService", name, None, opts
        )
        self._name = name
        self._settings = settings
        self._tags = dict(args.get("tags") or {})
        self._child = pulumi.ResourceOptions(parent=self)
        store = args["image_store"]

        load_balancer_group, task_group = self._security_groups(args)
        cluster_arn, cluster_name, namespace_arn = self._cluster(args)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/ecs/{_physical(pulumi.get_project())}/"
            f"{_physical(pulumi.get_stack())}/{name}",
            retention_in_days=settings.log_retention_days,
            tags=self._tags,
            opts=self._child,
        )

        # IAM: the task role mounts the store (ECS uses it, not the execution
        # role, for IAM authorization), and it may do nothing else.
        execution_role, task_role = self._roles()
        mount_policy = grant_role_policy(
            f"{name}-mount",
            role=task_role,
            mount=store,
            level=AccessLevel.READ,
            parent=self,
        )
        nfs_rules = open_nfs_path(
            f"{name}-nfs",
            client_security_group_id=task_group.id,
            mount_security_group_id=store["security_group_id"],
            parent=self,
        )

        task_definition = self._task_definition(
            args, store, log_group, execution_role, task_role
        )
        listeners, target_group, load_balancer = self._load_balancer(
            args, load_balancer_group
        )

        # Compute: no task starts before it can mount, register with the load
        # balancer and read through its role.
        service = aws.ecs.Service(
            f"{name}-service",
            cluster=cluster_arn,
            task_definition=task_definition.arn,
            desired_count=settings.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=[s["subnet_id"] for s in settings.subnets],
                security_groups=[task_group.id],
                assign_public_ip=False,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=target_group.arn,
                    container_name=CONTAINER_NAME,
                    container_port=CONTAINER_PORT,
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(
                enable=True, rollback=True
            ),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            availability_zone_rebalancing="ENABLED",
            wait_for_steady_state=True,
            enable_execute_command=settings.enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            service_connect_configuration=self._service_connect(
                namespace_arn, log_group
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    mount_targets_ready(store),  # type: ignore[list-item]
                    mount_policy,
                    *nfs_rules,
                    *listeners,
                ],
                # Autoscaling owns the task count after the first deployment.
                ignore_changes=["desiredCount"],
                custom_timeouts=pulumi.CustomTimeouts(create="30m", update="30m"),
            ),
        )
        self._autoscaling(cluster_name, service, load_balancer, target_group)

        scheme = "https" if settings.certificate_arn is not None else "http"
        self.service_name = service.name
        self.service_arn = service.arn
        self.cluster_name = pulumi.Output.from_input(cluster_name)
        self.cluster_arn = pulumi.Output.from_input(cluster_arn)
        self.task_definition_arn = task_definition.arn
        self.security_group_id = task_group.id
        self.load_balancer_dns_name = load_balancer.dns_name
        self.url = pulumi.Output.concat(scheme, "://", load_balancer.dns_name)
        self.service_connect_url = pulumi.Output.from_input(
            f"http://{settings.discovery_name}" if settings.service_connect else ""
        )
        self.register_outputs(
            {
                "service_name": self.service_name,
                "service_arn": self.service_arn,
                "cluster_name": self.cluster_name,
                "cluster_arn": self.cluster_arn,
                "task_definition_arn": self.task_definition_arn,
                "security_group_id": self.security_group_id,
                "load_balancer_dns_name": self.load_balancer_dns_name,
                "url": self.url,
                "service_connect_url": self.service_connect_url,
            }
        )

    def _security_groups(
        self, args: HighlyAvailableAssetsServiceArgs
    ) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        name, settings = self._name, self._settings
        load_balancer_group = aws.ec2.SecurityGroup(
            f"{name}-lb",
            vpc_id=args["vpc_id"],
            description="Assets load balancer: listener ports from allowed CIDRs",
            revoke_rules_on_delete=True,
            tags=self._tags,
            opts=self._child,
        )
        task_group = aws.ec2.SecurityGroup(
            f"{name}-tasks",
            vpc_id=args["vpc_id"],
            description="Assets tasks: the container port from the load balancer",
            revoke_rules_on_delete=True,
            tags=self._tags,
            opts=self._child,
        )

        for port in settings.listener_ports:
            for cidr in settings.ingress_cidrs:
                label = cidr.replace("/", "-").replace(":", "-")
                allow_tcp(
                    f"{name}-lb-in-{port}-{label}",
                    ingress=True,
                    security_group_id=load_balancer_group.id,
                    cidr=cidr,
                    port=port,
                    description=f"Listener port {port}",
                    opts=self._child,
                )
        allow_tcp(
            f"{name}-lb-out-tasks",
            ingress=False,
            security_group_id=load_balancer_group.id,
            peer_group_id=task_group.id,
            port=CONTAINER_PORT,
            description="Requests and health checks to the tasks",
            opts=self._child,
        )
        allow_tcp(
            f"{name}-tasks-in-lb",
            ingress=True,
            security_group_id=task_group.id,
            peer_group_id=load_balancer_group.id,
            port=CONTAINER_PORT,
            description="From the assets load balancer",
            opts=self._child,
        )
        for label, group_id in settings.client_groups.items():
            allow_tcp(
                f"{name}-tasks-in-{label}",
                ingress=True,
                security_group_id=task_group.id,
                peer_group_id=group_id,
                port=CONTAINER_PORT,
                description=f"Service Connect client {label}",
                opts=self._child,
            )
        # Image pulls, logs and Service Connect's control plane use HTTPS to
        # AWS endpoints, through the NAT gateway or VPC endpoints.
        allow_tcp(
            f"{name}-tasks-out-https",
            ingress=False,
            security_group_id=task_group.id,
            cidr="0.0.0.0/0",
            port=443,
            description="HTTPS to AWS endpoints and the image registry",
            opts=self._child,
        )
        return load_balancer_group, task_group

    def _cluster(
        self, args: HighlyAvailableAssetsServiceArgs
    ) -> tuple[pulumi.Input[str], pulumi.Input[str], pulumi.Input[str] | None]:
        name, settings = self._name, self._settings
        namespace_arn: pulumi.Input[str] | None = args.get("namespace_arn")
        if settings.service_connect and namespace_arn is None:
            namespace = aws.servicediscovery.HttpNamespace(
                f"{name}-namespace",
                name=settings.namespace_name,
                description="Service Connect namespace of the retail store",
                tags=self._tags,
                opts=self._child,
            )
            namespace_arn = namespace.arn

        existing = args.get("cluster_arn")
        if existing is not None:
            cluster_name = pulumi.Output.from_input(existing).apply(
                lambda arn: arn.rsplit("/", 1)[-1]
            )
            return existing, cluster_name, namespace_arn
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=settings.cluster_name,
            settings=[{"name": "containerInsights", "value": "enabled"}],
            service_connect_defaults=(
                {"namespace": namespace_arn} if namespace_arn is not None else None
            ),
            tags=self._tags,
            opts=self._child,
        )
        return cluster.arn, cluster.name, namespace_arn

    def _roles(self) -> tuple[aws.iam.Role, aws.iam.Role]:
        name = self._name
        trust = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        )
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=trust,
            description="Pulls the assets image and writes its logs",
            tags=self._tags,
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-execution-policy",
            role=execution_role.name,
            policy_arn="arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy",
            opts=self._child,
        )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            assume_role_policy=trust,
            description="Mounts the shared image store read-only",
            tags=self._tags,
            opts=self._child,
        )
        if self._settings.enable_execute_command:
            aws.iam.RolePolicy(
                f"{name}-exec",
                role=task_role.id,
                policy=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "EcsExecChannels",
                                "Effect": "Allow",
                                "Action": [
                                    "ssmmessages:CreateControlChannel",
                                    "ssmmessages:CreateDataChannel",
                                    "ssmmessages:OpenControlChannel",
                                    "ssmmessages:OpenDataChannel",
                                ],
                                # These actions support no resource-level scope.
                                "Resource": "*",
                            }
                        ],
                    }
                ),
                opts=self._child,
            )
        return execution_role, task_role

    def _task_definition(
        self,
        args: HighlyAvailableAssetsServiceArgs,
        store: ImageStoreMountArgs,
        log_group: aws.cloudwatch.LogGroup,
        execution_role: aws.iam.Role,
        task_role: aws.iam.Role,
    ) -> aws.ecs.TaskDefinition:
        name, settings = self._name, self._settings
        volumes: list[Any] = [
            {
                "name": IMAGES_VOLUME,
                "efs_volume_configuration": {
                    "file_system_id": store["file_system_id"],
                    "transit_encryption": "ENABLED",
                    "authorization_config": {
                        "access_point_id": store["access_point_id"],
                        "iam": "ENABLED",
                    },
                },
            }
        ]
        if settings.read_only_root_filesystem:
            volumes += [{"name": volume} for volume in NGINX_WRITABLE_PATHS]

        container = pulumi.Output.all(
            image=settings.image,
            log_group=log_group.name,
            region=aws.get_region_output().region,
        ).apply(lambda values: container_definitions(settings, **values))
        return aws.ecs.TaskDefinition(
            f"{name}-task",
            family=_physical(f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"),
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            container_definitions=container,
            volumes=volumes,
            tags=self._tags,
            opts=self._child,
        )

    def _load_balancer(
        self,
        args: HighlyAvailableAssetsServiceArgs,
        security_group: aws.ec2.SecurityGroup,
    ) -> tuple[list[aws.lb.Listener], aws.lb.TargetGroup, aws.lb.LoadBalancer]:
        name, settings = self._name, self._settings
        access_logs: Any = None
        if args.get("access_logs_bucket") is not None:
            access_logs = {
                "bucket": args["access_logs_bucket"],
                "prefix": name,
                "enabled": True,
            }
        load_balancer = aws.lb.LoadBalancer(
            f"{name}-lb",
            load_balancer_type="application",
            internal=settings.scheme is LoadBalancerScheme.INTERNAL,
            subnets=args["load_balancer_subnet_ids"],
            security_groups=[security_group.id],
            drop_invalid_header_fields=True,
            access_logs=access_logs,
            tags=self._tags,
            opts=self._child,
        )
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            port=CONTAINER_PORT,
            protocol="HTTP",
            target_type="ip",
            vpc_id=args["vpc_id"],
            deregistration_delay=30,
            health_check={
                "path": HEALTH_CHECK_PATH,
                "matcher": "200",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
            tags=self._tags,
            opts=self._child,
        )
        forward: list[Any] = [{"type": "forward", "target_group_arn": target_group.arn}]
        if settings.certificate_arn is None:
            http = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=load_balancer.arn,
                port=80,
                protocol="HTTP",
                default_actions=forward,
                opts=self._child,
            )
            return [http], target_group, load_balancer
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=load_balancer.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=SSL_POLICY,
            certificate_arn=settings.certificate_arn,
            default_actions=forward,
            opts=self._child,
        )
        redirect = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=load_balancer.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=self._child,
        )
        return [https, redirect], target_group, load_balancer

    def _service_connect(
        self,
        namespace_arn: pulumi.Input[str] | None,
        log_group: aws.cloudwatch.LogGroup,
    ) -> Any:
        settings = self._settings
        if not settings.service_connect:
            return None
        return {
            "enabled": True,
            "namespace": namespace_arn,
            "services": [
                {
                    "port_name": PORT_NAME,
                    "discovery_name": settings.discovery_name,
                    "client_alias": [
                        {
                            "port": settings.client_alias_port,
                            "dns_name": settings.discovery_name,
                        }
                    ],
                }
            ],
            "log_configuration": {
                "log_driver": "awslogs",
                "options": {
                    "awslogs-group": log_group.name,
                    "awslogs-region": aws.get_region_output().region,
                    "awslogs-stream-prefix": "service-connect",
                },
            },
        }

    def _autoscaling(
        self,
        cluster_name: pulumi.Input[str],
        service: aws.ecs.Service,
        load_balancer: aws.lb.LoadBalancer,
        target_group: aws.lb.TargetGroup,
    ) -> None:
        name, settings = self._name, self._settings
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat(
                "service/", cluster_name, "/", service.name
            ),
            min_capacity=settings.desired_count,
            max_capacity=settings.max_count,
            opts=self._child,
        )
        aws.appautoscaling.Policy(
            f"{name}-cpu",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": settings.cpu_target_percent,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ECSServiceAverageCPUUtilization"
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=self._child,
        )
        aws.appautoscaling.Policy(
            f"{name}-requests",
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration={
                "target_value": settings.requests_per_target,
                "predefined_metric_specification": {
                    "predefined_metric_type": "ALBRequestCountPerTarget",
                    "resource_label": pulumi.Output.concat(
                        load_balancer.arn_suffix, "/", target_group.arn_suffix
                    ),
                },
                "scale_in_cooldown": 300,
                "scale_out_cooldown": 60,
            },
            opts=self._child,
        )


def container_definitions(
    settings: "_Settings", *, image: str, log_group: str, region: str
) -> str:
    """Return the task's container definitions as the JSON ECS expects.

    Fields AWS would fill in (host port, protocol) are given explicitly and
    empty lists are left out, so a refresh reads back what was sent and the
    task definition shows no diff on the next preview.
    """
    mount_points = [
        {
            "sourceVolume": IMAGES_VOLUME,
            "containerPath": IMAGES_MOUNT_PATH,
            "readOnly": True,
        }
    ]
    if settings.read_only_root_filesystem:
        mount_points += [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False}
            for volume, path in NGINX_WRITABLE_PATHS.items()
        ]
    container: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": image,
        "essential": True,
        "portMappings": [
            {
                "name": PORT_NAME,
                "containerPort": CONTAINER_PORT,
                "hostPort": CONTAINER_PORT,
                "protocol": "tcp",
                "appProtocol": "http",
            }
        ],
        "healthCheck": {
            "command": [
                "CMD-SHELL",
                f"curl -f http://localhost:{CONTAINER_PORT}{HEALTH_CHECK_PATH} "
                "|| exit 1",
            ],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        },
        "mountPoints": mount_points,
        "readonlyRootFilesystem": settings.read_only_root_filesystem,
        "privileged": False,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": CONTAINER_NAME,
            },
        },
    }
    if settings.enable_execute_command:
        container["linuxParameters"] = {"initProcessEnabled": True}
    return json.dumps([container])


def _physical(value: str) -> str:
    """Return `value` with characters ECS names reject replaced by '-'."""
    return _PHYSICAL_NAME_CHARACTERS.sub("-", value)[:255]


class _Settings:
    """HighlyAvailableAssetsServiceArgs checked and with defaults filled in."""

    def __init__(self) -> None:
        self.subnets: list[SubnetArgs] = []
        self.cpu = 256
        self.memory = 512
        self.desired_count = 2
        self.max_count = 6
        self.cpu_target_percent = 60.0
        self.requests_per_target = 1000
        self.log_retention_days = 30
        self.read_only_root_filesystem = False
        self.enable_execute_command = False
        self.cluster_name = "retail-store-ecs-cluster"
        self.service_connect = True
        self.namespace_name = "retailstore.local"
        self.discovery_name = "assets"
        self.client_alias_port = 80
        self.scheme = LoadBalancerScheme.INTERNAL
        self.ingress_cidrs: list[str] = []
        self.certificate_arn: pulumi.Input[str] | None = None
        self.image: pulumi.Input[str] = DEFAULT_IMAGE
        self.client_groups: dict[str, pulumi.Input[str]] = {}

    @property
    def listener_ports(self) -> list[int]:
        return [80] if self.certificate_arn is None else [80, 443]

    @classmethod
    def from_args(
        cls, name: str, args: HighlyAvailableAssetsServiceArgs
    ) -> "_Settings":
        settings = cls()
        component = "HighlyAvailableAssetsService"
        # The load balancer and target group are auto-named from these.
        check.require_logical_name_fits(component, name, "-lb", 32)
        check.require_logical_name_fits(component, name, "-execution-role", 64)

        settings._set_placement(args)
        settings._set_sizing(args)
        settings._set_cluster(args)
        settings._set_service_connect(args)
        settings._set_load_balancer(args)
        settings.log_retention_days = check.require_one_of(
            "log_retention_days", args.get("log_retention_days", 30), LOG_RETENTION_DAYS
        )
        settings.read_only_root_filesystem = check.require_bool(
            "read_only_root_filesystem", args.get("read_only_root_filesystem", False)
        )
        settings.enable_execute_command = check.require_bool(
            "enable_execute_command", args.get("enable_execute_command", False)
        )
        settings.image = check.require_text_or_output(
            "image", args.get("image", DEFAULT_IMAGE)
        )
        settings.client_groups = dict(
            check.require_mapping(
                "service_connect_client_security_group_ids",
                args.get("service_connect_client_security_group_ids") or {},
            )
        )
        return settings

    def _set_placement(self, args: HighlyAvailableAssetsServiceArgs) -> None:
        subnets = args["subnets"]
        check.require_subnets("subnets", subnets)
        zones = [s["availability_zone"] for s in subnets]
        store_zones = set(args["image_store"]["availability_zones"])
        missing = [zone for zone in zones if zone not in store_zones]
        if missing:
            raise ValueError(
                f"subnets include {', '.join(missing)}, where the image store has "
                f"no mount target (it has {', '.join(sorted(store_zones))}); tasks "
                "there could not mount the images. Add a store subnet in those "
                "zones or place the service in the store's zones."
            )
        self.subnets = list(subnets)
        lb_subnets = args["load_balancer_subnet_ids"]
        if isinstance(lb_subnets, (list, tuple)) and len(lb_subnets) < 2:
            raise ValueError(
                f"load_balancer_subnet_ids has {len(lb_subnets)} subnet(s); an "
                "Application Load Balancer needs subnets in at least two "
                "Availability Zones."
            )
        check.require_distinct_ids("load_balancer_subnet_ids", lb_subnets, 2)

    def _set_sizing(self, args: HighlyAvailableAssetsServiceArgs) -> None:
        self.cpu = args.get("cpu", 256)
        self.memory = args.get("memory", 512)
        check.require_plain("cpu", self.cpu)
        check.require_plain("memory", self.memory)
        validate_task_size(self.cpu, self.memory)

        desired = args.get("desired_count", 2)
        check.require_plain("desired_count", desired)
        if isinstance(desired, int) and not isinstance(desired, bool) and desired < 2:
            raise ValueError(
                f"desired_count is {desired}; at least 2 tasks are needed for the "
                "service to stay up when a task or an Availability Zone fails."
            )
        self.desired_count = check.require_int_in_range(
            "desired_count", desired, 2, 1000
        )
        self.max_count = check.require_int_in_range(
            "max_count", args.get("max_count", 6), 2, 1000
        )
        if self.max_count < self.desired_count:
            raise ValueError(
                f"max_count is {self.max_count}, below desired_count "
                f"{self.desired_count}; autoscaling needs max_count >= desired_count."
            )

        cpu_target = args.get("cpu_target_percent", 60.0)
        check.require_plain("cpu_target_percent", cpu_target)
        if isinstance(cpu_target, bool) or not isinstance(cpu_target, (int, float)):
            raise TypeError(f"cpu_target_percent must be a number, got {cpu_target!r}.")
        if not 10 <= cpu_target <= 90:
            raise ValueError(
                f"cpu_target_percent is {cpu_target}; give 10 to 90 percent."
            )
        self.cpu_target_percent = float(cpu_target)
        self.requests_per_target = check.require_int_in_range(
            "requests_per_target", args.get("requests_per_target", 1000), 1, 1000000
        )

    def _set_cluster(self, args: HighlyAvailableAssetsServiceArgs) -> None:
        if args.get("cluster_arn") is not None and args.get("cluster_name") is not None:
            raise ValueError(
                "cluster_arn and cluster_name are both set; cluster_name only "
                "applies when the component creates the cluster. Remove one."
            )
        name = args.get("cluster_name", self.cluster_name)
        check.require_plain("cluster_name", name)
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            raise ValueError(
                f"cluster_name is {name!r}; ECS allows 1 to 255 letters, digits, "
                "hyphens and underscores."
            )
        self.cluster_name = name

    def _set_service_connect(self, args: HighlyAvailableAssetsServiceArgs) -> None:
        self.service_connect = check.require_bool(
            "service_connect", args.get("service_connect", True)
        )
        namespace_fields = [
            field
            for field in ("namespace_arn", "namespace_name")
            if args.get(field) is not None
        ]
        if not self.service_connect and namespace_fields:
            raise ValueError(
                f"service_connect is false but {', '.join(namespace_fields)} is "
                "set; remove it or turn service_connect on."
            )
        if len(namespace_fields) == 2:
            raise ValueError(
                "namespace_arn and namespace_name are both set; namespace_name only "
                "applies when the component creates the namespace. Remove one."
            )
        self.namespace_name = args.get("namespace_name", self.namespace_name)
        discovery = args.get("discovery_name", self.discovery_name)
        check.require_plain("discovery_name", discovery)
        if not isinstance(discovery, str) or not re.fullmatch(
            r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?", discovery
        ):
            raise ValueError(
                f"discovery_name is {discovery!r}; give a DNS label of lowercase "
                "letters, digits and hyphens, such as 'assets'."
            )
        self.discovery_name = discovery
        self.client_alias_port = check.require_int_in_range(
            "client_alias_port", args.get("client_alias_port", 80), 1, 65535
        )

    def _set_load_balancer(self, args: HighlyAvailableAssetsServiceArgs) -> None:
        self.scheme = check.coerce_enum(
            "load_balancer_scheme",
            args.get("load_balancer_scheme", LoadBalancerScheme.INTERNAL),
            LoadBalancerScheme,
        )
        self.certificate_arn = args.get("certificate_arn")
        self.ingress_cidrs = check.require_ingress_cidrs(
            "load_balancer_ingress_cidrs", args["load_balancer_ingress_cidrs"]
        )


__all__ = [
    "DEFAULT_IMAGE",
    "HighlyAvailableAssetsService",
    "HighlyAvailableAssetsServiceArgs",
    "LoadBalancerScheme",
]
