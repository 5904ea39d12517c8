"""Settings of the sync function, read from its environment variables."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

# Tests and tools import this folder as the package sync_function, and mypy
# reads this branch. Lambda imports the modules as top-level modules.
if TYPE_CHECKING or __package__:
    from . import key_policy
else:
    import key_policy

logger = logging.getLogger(__name__)

DEFAULT_MOUNT_PATH = "/mnt/images"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Validated values of the environment variables listed in handler.py."""

    mount_path: str
    prefix: str
    allowed_extensions: frozenset[str]
    max_object_bytes: int
    log_level: int
    bucket: str | None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ`, by default `os.environ`.

        Raises:
            ValueError: a variable has an invalid value; the message names it.
        """
        if environ is None:
            environ = os.environ

        mount_path = environ.get("MOUNT_PATH", DEFAULT_MOUNT_PATH)
        if not os.path.isabs(mount_path):
            raise ValueError(
                f"MOUNT_PATH must be an absolute path, got {mount_path!r}; "
                "set it to the local mount path of the EFS access point"
            )

        prefix = key_policy.normalize_prefix(
            environ.get("IMAGES_PREFIX", key_policy.DEFAULT_PREFIX)
        )
        try:
            key_policy.check_prefix(prefix)
        except key_policy.UnsafeKeyError as error:
            raise ValueError(
                f"IMAGES_PREFIX {prefix!r} is invalid: {error}; set one or more "
                "folder names that each end in '/', such as images/"
            ) from None

        default_extensions = ",".join(key_policy.DEFAULT_ALLOWED_EXTENSIONS)
        try:
            allowed_extensions = key_policy.parse_extensions(
                environ.get("ALLOWED_EXTENSIONS", default_extensions)
            )
        except ValueError as error:
            raise ValueError(f"ALLOWED_EXTENSIONS has an {error}") from None
        if not allowed_extensions:
            raise ValueError(
                "ALLOWED_EXTENSIONS is empty; set a comma-separated list "
                "such as .jpg,.png"
            )

        raw_max = environ.get(
            "MAX_OBJECT_BYTES", str(key_policy.DEFAULT_MAX_OBJECT_BYTES)
        )
        try:
            max_object_bytes = int(raw_max)
        except ValueError:
            max_object_bytes = 0
        if max_object_bytes <= 0:
            raise ValueError(
                f"MAX_OBJECT_BYTES must be a positive integer number of bytes, "
                f"got {raw_max!r}"
            )

        level_name = environ.get("LOG_LEVEL", "INFO").strip().upper()
        log_level = logging.getLevelName(level_name)
        if not isinstance(log_level, int):
            logger.warning(
                "LOG_LEVEL %r is not a logging level name; using INFO", level_name
            )
            log_level = logging.INFO

        return cls(
            mount_path=os.path.normpath(mount_path),
            prefix=prefix,
            allowed_extensions=allowed_extensions,
            max_object_bytes=max_object_bytes,
            log_level=log_level,
            bucket=environ.get("IMAGES_BUCKET") or None,
        )
