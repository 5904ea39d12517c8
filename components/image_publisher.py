"""ImagePublisher: publish product images to every task without a redeploy.

Images uploaded to a staging S3 bucket under a prefix trigger a Lambda
function that mounts the shared image store read-write and mirrors each
object onto it, so every nginx task serves the change at once.
"""

import json
import re
from pathlib import Path
from typing import NotRequired, TypedDict

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
from .network import allow_tcp

SYNC_FUNCTION_DIR = Path(__file__).resolve().parent / "sync_function"
MOUNT_PATH = "/mnt/images"
DEFAULT_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")

# Children renamed since a release: current name suffix -> earlier suffixes.
_RENAMED_CHILDREN: RenamedChildren = {}


class ImagePublisherArgs(TypedDict):
    """Inputs of an ImagePublisher."""

    vpc_id: pulumi.Input[str]
    """The VPC of the sync function."""
    subnet_ids: pulumi.Input[list[str]]
    """Private subnets for the sync function, in zones with a mount target.
    The VPC needs an S3 gateway endpoint or a NAT gateway to reach S3."""
    image_store: ImageStoreMountArgs
    """The store to write to, from `SharedImageStore.mount_args()`."""
    images_prefix: NotRequired[str]
    """Key prefix of the images in the bucket, ending in '/'. Default:
    `images/`."""
    allowed_extensions: NotRequired[list[str]]
    """File extensions the function copies; others are rejected. Default:
    .jpg, .jpeg, .png, .gif, .webp, .avif and .svg."""
    max_object_bytes: NotRequired[int]
    """Largest object the function copies. Default: 20 MiB."""
    noncurrent_version_days: NotRequired[int]
    """Days the bucket keeps a replaced or deleted image version. Default: 30."""
    retry_attempts: NotRequired[int]
    """Retries of a failed event before it goes to the dead-letter queue, 0 to
    2. Default: 2."""
    alarm_topic_arn: NotRequired[pulumi.Input[str]]
    """An SNS topic notified when the alarms fire. Default: none."""
    log_retention_days: NotRequired[int]
    """Days CloudWatch keeps the function's logs. Default: 30."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable child. Default: none."""


class ImagePublisher(pulumi.ComponentResource):
    """A staging bucket and a sync function that mirror images onto EFS."""

    bucket_name: pulumi.Output[str]
    """The staging bucket's name; upload images under `images_prefix`."""
    bucket_arn: pulumi.Output[str]
    """The staging bucket's ARN."""
    function_name: pulumi.Output[str]
    """The sync function's name; invoke it with {"action": "resync"} to
    mirror the whole prefix."""
    function_arn: pulumi.Output[str]
    """The sync function's ARN."""
    dead_letter_queue_url: pulumi.Output[str]
    """The queue that receives events the function failed to apply."""

    def __init__(
        self,
        name: str,
        args: ImagePublisherArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        settings = _Settings.from_args(args)
        # Children renamed since a release keep their state through aliases.
        opts = with_renamed_children(opts, name, _RENAMED_CHILDREN)
        super().__init__("retailassets:index:ImagePublisher", name, None, opts)
        self._name = name
        self._tags = dict(args.get("tags") or {})
        self._child = pulumi.ResourceOptions(parent=self)
        store = args["image_store"]

        # Storage
        bucket = self._bucket(settings)

        # Network: S3 through the gateway endpoint and NFS to the store only.
        security_group = aws.ec2.SecurityGroup(
            f"{name}-function",
            vpc_id=args["vpc_id"],
            description="Image sync function: S3 over HTTPS and NFS to the store",
            revoke_rules_on_delete=True,
            tags=self._tags,
            opts=self._child,
        )
        s3_prefix_list = aws.ec2.get_prefix_list_output(
            name=pulumi.Output.concat(
                "com.amazonaws.", aws.get_region_output().region, ".s3"
            )
        )
        allow_tcp(
            f"{name}-function-out-s3",
            ingress=False,
            security_group_id=security_group.id,
            prefix_list_id=s3_prefix_list.id,
            port=443,
            description="HTTPS to S3 through the gateway endpoint",
            opts=self._child,
        )
        nfs_rules = open_nfs_path(
            f"{name}-nfs",
            client_security_group_id=security_group.id,
            mount_security_group_id=store["security_group_id"],
            parent=self,
        )

        # IAM
        dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            message_retention_seconds=14 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            tags=self._tags,
            opts=self._child,
        )
        role = self._role(bucket, dead_letters)
        write_policy = grant_role_policy(
            f"{name}-write",
            role=role,
            mount=store,
            level=AccessLevel.READ_WRITE,
            parent=self,
        )

        # Compute
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            retention_in_days=settings.log_retention_days,
            tags=self._tags,
            opts=self._child,
        )
        function = aws.lambda_.Function(
            f"{name}-sync",
            runtime="python3.12",
            handler="handler.handler",
            code=_function_code(),
            role=role.arn,
            timeout=300,
            memory_size=512,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args["subnet_ids"], security_group_ids=[security_group.id]
            ),
            file_system_config=aws.lambda_.FunctionFileSystemConfigArgs(
                arn=store["access_point_arn"], local_mount_path=MOUNT_PATH
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={**settings.environment(), "IMAGES_BUCKET": bucket.bucket}
            ),
            dead_letter_config=aws.lambda_.FunctionDeadLetterConfigArgs(
                target_arn=dead_letters.arn
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="Text", log_group=log_group.name
            ),
            tags=self._tags,
            # Lambda mounts at create time, so the mount targets, the write
            # grant and the NFS path must exist first.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    mount_targets_ready(store),  # type: ignore[list-item]
                    write_policy,
                    *nfs_rules,
                ],
            ),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-retries",
            function_name=function.name,
            maximum_retry_attempts=settings.retry_attempts,
            maximum_event_age_in_seconds=6 * 3600,
            opts=self._child,
        )
        self._wire_events(settings, bucket, function)
        self._alarms(args, function, dead_letters)

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.function_name = function.name
        self.function_arn = function.arn
        self.dead_letter_queue_url = dead_letters.url
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "function_name": self.function_name,
                "function_arn": self.function_arn,
                "dead_letter_queue_url": self.dead_letter_queue_url,
            }
        )

    def _bucket(self, settings: "_Settings") -> aws.s3.Bucket:
        name = self._name
        bucket = aws.s3.Bucket(f"{name}-staging", tags=self._tags, opts=self._child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-staging-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=self._child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-staging-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=self._child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-staging-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "AES256"
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=self._child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-staging-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=self._child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-staging-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-replaced-images",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "noncurrent_version_expiration": {
                        "noncurrent_days": settings.noncurrent_version_days
                    },
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-staging-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(_deny_insecure_transport),
            opts=self._child,
        )
        return bucket

    def _role(self, bucket: aws.s3.Bucket, dead_letters: aws.sqs.Queue) -> aws.iam.Role:
        name = self._name
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            description="Image sync function: reads the staging bucket, writes EFS",
            tags=self._tags,
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-vpc-access",
            role=role.name,
            policy_arn=(
                "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
            ),
            opts=self._child,
        )
        aws.iam.RolePolicy(
            f"{name}-read-staging",
            role=role.id,
            policy=pulumi.Output.all(bucket.arn, dead_letters.arn).apply(
                lambda arns: _function_policy(arns[0], arns[1])
            ),
            opts=self._child,
        )
        return role

    def _wire_events(
        self,
        settings: "_Settings",
        bucket: aws.s3.Bucket,
        function: aws.lambda_.Function,
    ) -> None:
        name = self._name
        permission = aws.lambda_.Permission(
            f"{name}-s3-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal="s3.amazonaws.com",
            source_arn=bucket.arn,
            source_account=aws.get_caller_identity_output().account_id,
            opts=self._child,
        )
        aws.s3.BucketNotification(
            f"{name}-staging-events",
            bucket=bucket.id,
            lambda_functions=[
                {
                    "lambda_function_arn": function.arn,
                    "events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "filter_prefix": settings.images_prefix,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

    def _alarms(
        self,
        args: ImagePublisherArgs,
        function: aws.lambda_.Function,
        dead_letters: aws.sqs.Queue,
    ) -> None:
        name = self._name
        topic = args.get("alarm_topic_arn")
        actions = [topic] if topic is not None else []
        # Any failure fires: one bad image is worth a look, and the dead-letter
        # queue only fills after every retry failed.
        alarms = [
            (
                "errors",
                "The image sync function failed; see its logs.",
                ("AWS/Lambda", "Errors", "Sum"),
                {"FunctionName": function.name},
            ),
            (
                "dead-letters",
                "Image events failed every retry; replay them or run a resync.",
                ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
                {"QueueName": dead_letters.name},
            ),
        ]
        for suffix, description, (namespace, metric, statistic), dimensions in alarms:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                alarm_description=description,
                namespace=namespace,
                metric_name=metric,
                dimensions=dimensions,
                statistic=statistic,
                period=300,
                evaluation_periods=1,
                threshold=0,
                comparison_operator="GreaterThanThreshold",
                treat_missing_data="notBreaching",
                alarm_actions=actions,
                tags=self._tags,
                opts=self._child,
            )


def _function_code() -> pulumi.AssetArchive:
    """Return the sync function's source files, without compiled caches."""
    return pulumi.AssetArchive(
        {
            path.name: pulumi.FileAsset(str(path))
            for path in sorted(SYNC_FUNCTION_DIR.glob("*.py"))
        }
    )


def _deny_insecure_transport(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyWithoutTls",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


def _function_policy(bucket_arn: str, queue_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ReadStagedImages",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": f"{bucket_arn}/*",
                },
                {
                    "Sid": "ListStagedImages",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                    "Resource": bucket_arn,
                },
                {
                    "Sid": "SendFailedEvents",
                    "Effect": "Allow",
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                },
            ],
        }
    )


class _Settings:
    """ImagePublisherArgs checked and with defaults filled in."""

    def __init__(self) -> None:
        self.images_prefix = "images/"
        self.allowed_extensions: list[str] = list(DEFAULT_EXTENSIONS)
        self.max_object_bytes = 20 * 2**20
        self.noncurrent_version_days = 30
        self.retry_attempts = 2
        self.log_retention_days = 30

    def environment(self) -> dict[str, str]:
        return {
            "MOUNT_PATH": MOUNT_PATH,
            "IMAGES_PREFIX": self.images_prefix,
            "ALLOWED_EXTENSIONS": ",".join(self.allowed_extensions),
            "MAX_OBJECT_BYTES": str(self.max_object_bytes),
            "LOG_LEVEL": "INFO",
        }

    @classmethod
    def from_args(cls, args: ImagePublisherArgs) -> "_Settings":
        from .assets_service import LOG_RETENTION_DAYS

        settings = cls()
        # Lambda places an ENI in each subnet; two zones keep syncs running
        # when one zone fails.
        check.require_distinct_ids("subnet_ids", args["subnet_ids"], 2)
        prefix = args.get("images_prefix", settings.images_prefix)
        check.require_plain("images_prefix", prefix)
        if (
            not isinstance(prefix, str)
            or not re.fullmatch(r"([A-Za-z0-9._-]+/)+", prefix)
            or any(part in (".", "..") for part in prefix.split("/"))
        ):
            raise ValueError(
                f"images_prefix is {prefix!r}; give one or more folder names "
                "ending in '/', such as 'images/'."
            )
        settings.images_prefix = prefix
        settings.allowed_extensions = check.require_image_extensions(
            "allowed_extensions",
            args.get("allowed_extensions", settings.allowed_extensions),
        )
        settings.max_object_bytes = check.require_int_in_range(
            "max_object_bytes", args.get("max_object_bytes", 20 * 2**20), 1, 5 * 2**30
        )
        settings.noncurrent_version_days = check.require_int_in_range(
            "noncurrent_version_days", args.get("noncurrent_version_days", 30), 1, 3650
        )
        settings.retry_attempts = check.require_int_in_range(
            "retry_attempts", args.get("retry_attempts", 2), 0, 2
        )
        settings.log_retention_days = check.require_one_of(
            "log_retention_days", args.get("log_retention_days", 30), LOG_RETENTION_DAYS
        )
        return settings


__all__ = ["ImagePublisher", "ImagePublisherArgs"]
