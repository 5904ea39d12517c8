"""Decide whether an S3 object key may become a file under the images mount.

The sync function and the publish command share these rules, so a file that
`python -m tools.publish_images` uploads is one the function accepts.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable

DEFAULT_PREFIX = "images/"
DEFAULT_ALLOWED_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg")
DEFAULT_MAX_OBJECT_BYTES = 20 * 1024 * 1024

# Linux limits, which EFS also applies: NAME_MAX is 255 bytes per path
# segment, and PATH_MAX is 4096 bytes including the terminating NUL.
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 4095

# Folder under the mount root that holds the sync state and lock files.
STATE_DIR_NAME = ".sync-state"


class UnsafeKeyError(ValueError):
    """An object key that the rules reject; the message is the reason."""


def normalize_prefix(prefix: str) -> str:
    """Return the prefix with one trailing slash, or "" for the whole bucket."""
    prefix = prefix.strip()
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix


def parse_extensions(value: str | Iterable[str]) -> frozenset[str]:
    """Parse a comma-separated list such as ".jpg,png" into lowercase extensions.

    A missing leading dot is added, so "png" and ".png" mean the same.
    """
    items = value.split(",") if isinstance(value, str) else value
    extensions = set()
    for item in items:
        item = item.strip().lower()
        if not item:
            continue
        extensions.add(item if item.startswith(".") else "." + item)
    return frozenset(extensions)


def relative_path(
    key: str,
    prefix: str,
    allowed_extensions: frozenset[str],
    mount_path: str = "",
) -> str:
    """Return the path of `key` relative to the mount root, with "/" separators.

    `prefix` must already be normalized. When `mount_path` is given, the length
    of the full local path is checked as well.

    Raises:
        UnsafeKeyError: the key cannot be stored safely; the message gives the reason.
    """
    if not key:
        raise UnsafeKeyError("key is empty")
    for char in key:
        if unicodedata.category(char) == "Cc":
            raise UnsafeKeyError(f"key contains control character U+{ord(char):04X}")
    if "\\" in key:
        raise UnsafeKeyError("key contains a backslash")
    if key.startswith("/"):
        raise UnsafeKeyError("key is an absolute path")
    if not key.startswith(prefix):
        raise UnsafeKeyError(f"key is outside the prefix {prefix!r}")

    relative = key[len(prefix) :]
    if not relative:
        raise UnsafeKeyError("key names the prefix itself, not an object under it")
    if relative.endswith("/"):
        raise UnsafeKeyError("key is a folder marker (it ends with /)")

    segments = relative.split("/")
    for segment in segments:
        if segment == "":
            raise UnsafeKeyError("key has an empty path segment")
        if segment in (".", ".."):
            raise UnsafeKeyError(f"key has a {segment!r} path segment")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise UnsafeKeyError(
                f"key has a path segment longer than {MAX_SEGMENT_BYTES} bytes"
            )
    if segments[0] == STATE_DIR_NAME:
        raise UnsafeKeyError(f"key is inside the reserved folder {STATE_DIR_NAME}/")

    local_path = posixpath.join(mount_path, relative) if mount_path else relative
    if len(local_path.encode("utf-8")) > MAX_PATH_BYTES:
        raise UnsafeKeyError(f"local path is longer than {MAX_PATH_BYTES} bytes")

    extension = posixpath.splitext(segments[-1])[1].lower()
    if extension not in allowed_extensions:
        displayed = extension or "(none)"
        raise UnsafeKeyError(f"extension {displayed} is not in ALLOWED_EXTENSIONS")
    return relative
