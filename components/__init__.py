"""Pulumi components for a highly available, EFS-backed assets service.

Import the components and their argument types from here; the modules
behind them are not a stable interface.
"""

from .assets_service import (
    DEFAULT_IMAGE,
    HighlyAvailableAssetsService,
    HighlyAvailableAssetsServiceArgs,
    LoadBalancerScheme,
)
from .efs_access import AccessLevel, Grant, ImageStoreMountArgs
from .image_publisher import ImagePublisher, ImagePublisherArgs
from .network import SubnetArgs
from .shared_image_store import (
    ExistingFileSystemArgs,
    RemovalPolicy,
    SharedImageStore,
    SharedImageStoreArgs,
    ThroughputMode,
)

# The package name in every type token (`retailassets:index:<Component>`).
PACKAGE_NAME = "retailassets"

__all__ = [
    "DEFAULT_IMAGE",
    "PACKAGE_NAME",
    "AccessLevel",
    "ExistingFileSystemArgs",
    "Grant",
    "HighlyAvailableAssetsService",
    "HighlyAvailableAssetsServiceArgs",
    "ImagePublisher",
    "ImagePublisherArgs",
    "ImageStoreMountArgs",
    "LoadBalancerScheme",
    "RemovalPolicy",
    "SharedImageStore",
    "SharedImageStoreArgs",
    "SubnetArgs",
    "ThroughputMode",
]
