"""Download one S3 object onto the mount, and log one JSON line per object."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

# Tests and tools import this folder as the package sync_function, and mypy
# reads this branch. Lambda imports the modules as top-level modules.
if TYPE_CHECKING or __package__:
    from .mount import Mount, ObjectTooLargeError
else:
    from mount import Mount, ObjectTooLargeError

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024

# Error codes of GetObject that mean the object or version the request names
# is no longer in the bucket, or no longer has the requested ETag.
GONE_ERROR_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "PreconditionFailed"})

OUTCOME_LEVELS = {
    "rejected": logging.WARNING,
    "failed": logging.ERROR,
    "unchanged": logging.DEBUG,
}


class ObjectGoneError(Exception):
    """The object was deleted or overwritten after the event or listing.

    A later event or resync applies that change, so this is not a failure.
    """


@dataclasses.dataclass(frozen=True)
class Downloaded:
    """Size of a finished download, with the version id and ETag that S3 returned."""

    size: int
    version_id: str | None
    etag: str | None


def normalize_etag(etag: str | None) -> str | None:
    """Return the ETag without quotes; events omit them and API responses add them."""
    if etag is None:
        return None
    return etag.strip('"')


def read_chunks(body: Any, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Yield a streaming body's bytes in reads of at most `chunk_bytes`."""
    while True:
        chunk = body.read(chunk_bytes)
        if not chunk:
            return
        yield chunk


def download_object(
    s3: Any,
    bucket: str,
    key: str,
    relative: str,
    mount: Mount,
    max_bytes: int,
    *,
    version_id: str | None = None,
    etag: str | None = None,
) -> Downloaded:
    """Stream an object into the file at `relative`, replacing it atomically.

    With `version_id` the request reads that version. Otherwise, with `etag`,
    the request carries If-Match, so the bytes written are the ones the caller
    saw in the event or listing.

    Raises:
        ObjectGoneError: the object, version or ETag is no longer in the bucket.
        ObjectTooLargeError: the object is larger than `max_bytes`.
        botocore.exceptions.ClientError: any other S3 error.
    """
    request: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    elif etag:
        request["IfMatch"] = etag
    try:
        response = s3.get_object(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in GONE_ERROR_CODES:
            raise ObjectGoneError(
                f"GetObject returned {code}: the object was deleted or "
                "changed after the event"
            ) from error
        raise

    body = response["Body"]
    try:
        length = response.get("ContentLength")
        if length is not None and length > max_bytes:
            raise ObjectTooLargeError(
                f"object size {length} bytes is larger than MAX_OBJECT_BYTES "
                f"({max_bytes})"
            )
        written = mount.write_file(relative, read_chunks(body), max_bytes)
    finally:
        body.close()
    return Downloaded(
        size=written,
        version_id=response.get("VersionId"),
        etag=normalize_etag(response.get("ETag")),
    )


def log_object(
    key: str,
    *,
    action: str,
    outcome: str,
    started: float,
    reason: str | None = None,
    **fields: Any,
) -> None:
    """Log one JSON line for one object.

    `action` is put, delete or skip, `outcome` one of written, deleted,
    unchanged, duplicate, stale, ignored, rejected or failed, and `started` a
    `time.monotonic()` value taken when work on the object began.
    """
    line: dict[str, Any] = {"key": key, "action": action, "outcome": outcome}
    line.update(fields)
    if reason is not None:
        line["reason"] = reason
    line["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    level = OUTCOME_LEVELS.get(outcome, logging.INFO)
    logger.log(level, json.dumps(line, default=str))
