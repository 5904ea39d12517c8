"""Decide whether an S3 object key may become a file under the images mount.

The sync function and the publish command share these rules, so a file that
`python -m tools.publish_images` uploads is one the function accepts.
"""

from __future__ import annotations

import posixpath
import re
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

# Characters that reorder or hide the displayed text of a name, so that
# "photo<U+202E>gpj.exe" displays as "photoexe.jpg": the bidirectional
# embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the
# byte order mark U+FEFF.
INVISIBLE_FORMAT_CHARS = frozenset(
    [chr(code) for code in range(0x202A, 0x202F)]
    + [chr(code) for code in range(0x2066, 0x206A)]
    + ["\ufeff"]
)

EXTENSION_PATTERN = re.compile(r"\.[a-z0-9]+")


class UnsafeKeyError(ValueError):
    """An object key or prefix that the rules reject; the message is the reason."""


def normalize_prefix(prefix: str) -> str:
    """Return the prefix with one trailing slash, or "" when it is empty.

    `check_prefix` rejects the empty prefix.
    """
    prefix = prefix.strip()
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix


def check_prefix(prefix: str) -> None:
    """Raise UnsafeKeyError unless `prefix` is one or more folder names.

    `prefix` must already be normalized. Each folder name ends in "/" and
    follows the same character and segment rules as the keys under it.
    """
    if not prefix:
        raise UnsafeKeyError("prefix is empty")
    _check_characters(prefix, "prefix")
    if prefix.startswith("/"):
        raise UnsafeKeyError("prefix starts with /")
    if not prefix.endswith("/"):
        raise UnsafeKeyError("prefix does not end with /")
    for segment in prefix[:-1].split("/"):
        _check_segment(segment, "prefix")


def parse_extensions(value: str | Iterable[str]) -> frozenset[str]:
    """Parse a comma-separated list such as ".jpg,png" into lowercase extensions.

    A missing leading dot is added, so "png" and ".png" mean the same. Empty
    entries are ignored.

    Raises:
        ValueError: an entry is not a dot followed by letters and digits; the
            message names the entry.
    """
    items = value.split(",") if isinstance(value, str) else value
    extensions = set()
    for item in items:
        extension = item.strip().lower()
        if not extension:
            continue
        if not extension.startswith("."):
            extension = "." + extension
        if not EXTENSION_PATTERN.fullmatch(extension):
            raise ValueError(
                f"invalid extension {item.strip()!r}: an extension is a dot "
                "followed by letters and digits, and entries are separated by "
                "commas, as in .jpg,.png"
            )
        extensions.add(extension)
    return frozenset(extensions)


def _check_characters(text: str, what: str) -> None:
    """Raise UnsafeKeyError for characters that no key or prefix may contain."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise UnsafeKeyError(f"{what} contains control character U+{ord(char):04X}")
        if char in INVISIBLE_FORMAT_CHARS:
            raise UnsafeKeyError(
                f"{what} contains U+{ord(char):04X}, a bidirectional control or "
                "byte order mark character that can disguise the name"
            )
    if "\\" in text:
        raise UnsafeKeyError(f"{what} contains a backslash")
    if not unicodedata.is_normalized("NFC", text):
        raise UnsafeKeyError(
            f"{what} is not in Unicode normalization form NFC, and its NFC and "
            "NFD spellings would become two different files"
        )


def _check_segment(segment: str, what: str) -> None:
    """Raise UnsafeKeyError for a path segment that is not a plain name."""
    if segment == "":
        raise UnsafeKeyError(f"{what} has an empty path segment")
    if segment in (".", ".."):
        raise UnsafeKeyError(f"{what} has a {segment!r} path segment")
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise UnsafeKeyError(
            f"{what} has a path segment longer than {MAX_SEGMENT_BYTES} bytes"
        )


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
    _check_characters(key, "key")
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
        _check_segment(segment, "key")
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
