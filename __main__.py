"""The retail store's assets service: highly available, images on EFS."""

import pulumi

from components import (
    HighlyAvailableAssetsService,
    ImagePublisher,
    SharedImageStore,
)
from program import config as stack_config
from program.network import create_vpc, existing_network

# Validate: every key is checked before any resource exists.
config = stack_config.load()

# Network
if config.uses_existing_vpc:
    network = existing_network(config)
else:
    network = create_vpc("assets-vpc", config)

# Storage
store = SharedImageStore(
    "images",
    {
        "vpc_id": network.vpc_id,
        "subnets": network.private_subnets,
        "throughput_mode": config["throughputMode"],
        "provisioned_throughput_mibps": config["provisionedThroughputMibps"] or None,
        "transition_to_ia_days": config["transitionToIaDays"],
        "transition_to_primary_on_access": config["transitionToPrimaryOnAccess"],
        "backups": config["backups"],
        "kms_key_arn": config["kmsKeyArn"] or None,
        "images_path": config["imagesPath"],
        "posix_uid": config["posixUid"],
        "posix_gid": config["posixGid"],
        "removal_policy": config["storeRemovalPolicy"],
    },
)

# Compute
internal = config["loadBalancerScheme"] == "internal"
service = HighlyAvailableAssetsService(
    "assets",
    {
        "vpc_id": network.vpc_id,
        "subnets": network.private_subnets,
        "load_balancer_subnet_ids": (
            [s["subnet_id"] for s in network.private_subnets]
            if internal
            else network.public_subnet_ids
        ),
        "load_balancer_ingress_cidrs": config["ingressCidrs"] or [network.cidr_block],
        "image_store": store.mount_args(),
        "image": config["image"],
        "cpu": config["cpu"],
        "memory": config["memory"],
        "desired_count": config["desiredCount"],
        "max_count": config["maxCount"],
        "cpu_target_percent": config["cpuTargetPercent"],
        "requests_per_target": config["requestsPerTarget"],
        "log_retention_days": config["logRetentionDays"],
        "read_only_root_filesystem": config["readOnlyRootFilesystem"],
        "enable_execute_command": config["enableExecuteCommand"],
        "service_connect": config["serviceConnect"],
        "load_balancer_scheme": config["loadBalancerScheme"],
        "certificate_arn": config["certificateArn"] or None,
        "access_logs_bucket": config["accessLogsBucket"] or None,
        **(
            {"cluster_arn": config["existingClusterArn"]}
            if config["existingClusterArn"]
            else {"cluster_name": config["clusterName"]}
        ),
        **(
            {"namespace_arn": config["existingNamespaceArn"]}
            if config["existingNamespaceArn"]
            else {"namespace_name": config["namespaceName"]}
            if config["serviceConnect"]
            else {}
        ),
    },
)

# Publishing: images uploaded to the staging bucket reach every task at once.
if config["imagePublisher"]:
    publisher = ImagePublisher(
        "images-publisher",
        {
            "vpc_id": network.vpc_id,
            "subnet_ids": [s["subnet_id"] for s in network.private_subnets],
            "image_store": store.mount_args(),
            "allowed_extensions": config["allowedImageExtensions"],
            "max_object_bytes": config["maxImageBytes"],
            "noncurrent_version_days": config["noncurrentVersionDays"],
            "log_retention_days": config["logRetentionDays"],
        },
    )
    pulumi.export("imagesBucketName", publisher.bucket_name)
    pulumi.export("imageSyncFunctionName", publisher.function_name)

pulumi.export("url", service.url)
pulumi.export("serviceConnectUrl", service.service_connect_url)
pulumi.export("fileSystemId", store.file_system_id)
pulumi.export("accessPointId", store.access_point_id)
pulumi.export("serviceName", service.service_name)
pulumi.export("clusterName", service.cluster_name)
