"""Atomic file writes and deletes, per-file sync state and locks on the mount.

Layout under the mount root, which is the folder nginx serves:

- `<relative path>`: the image files.
- `.sync-state/<hh>/<sha256>.json`: the last event applied to one file, where
  the name is the SHA-256 of the file's relative path and `<hh>` its first two
  hex digits. It contains the key, sequencer, version id, ETag and size.
- `.sync-state/<hh>/<sha256>.lock`: the file that `flock` locks for that path.
  Lock files are never removed, because removing one would let two writers
  lock different inodes for the same path.

nginx serves the state folder only to a request for its exact path, and the
state contains no secret.

Symbolic links below the root are never followed, because one could lead
outside the mount. A write or delete whose path passes through a linked folder
raises SymlinkPathError. A link in place of the file itself is replaced or
removed like a file, and its target is left as it is.
NOTE: the folders are checked just before each operation, not atomically with
it, so a link that someone with write access to the mount creates in between
is still followed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

# Tests and tools import this folder as the package sync_function, and mypy
# reads this branch. Lambda imports the modules as top-level modules.
if TYPE_CHECKING or __package__:
    from .key_policy import STATE_DIR_NAME
else:
    from key_policy import STATE_DIR_NAME

logger = logging.getLogger(__name__)

DIR_MODE = 0o755
FILE_MODE = 0o644

# Temporary files are named `.sync-XXXXXXXX.tmp` so that a scan can tell them
# apart from images, whose extensions never include `.tmp`.
TEMP_PREFIX = ".sync-"
TEMP_SUFFIX = ".tmp"

LOCK_TIMEOUT_SECONDS = 30.0
LOCK_POLL_SECONDS = 0.05

# A concurrent delete can remove an empty folder between creating it and
# creating the temporary file in it, so the write retries that step.
MKSTEMP_ATTEMPTS = 3


class ObjectTooLargeError(ValueError):
    """An object over MAX_OBJECT_BYTES; the message gives both sizes."""


class LockTimeoutError(TimeoutError):
    """Another invocation held the lock on a path for longer than the timeout."""


class MountMissingError(OSError):
    """The mount root is not a directory, so the file system is not mounted."""


class SymlinkPathError(ValueError):
    """A path below the mount root passes through a symbolic link."""


@dataclasses.dataclass(frozen=True)
class SyncState:
    """The last change applied to one file, or a tombstone after a delete."""

    key: str
    sequencer: str | None
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    deleted: bool = False


def compare_sequencers(left: str, right: str) -> int:
    """Return -1, 0 or 1 as S3 sequencer `left` is older, equal or newer.

    S3 documents sequencers as hex strings that compare lexicographically once
    the shorter one is left-padded with zeros.
    """
    width = max(len(left), len(right))
    left = left.upper().rjust(width, "0")
    right = right.upper().rjust(width, "0")
    return (left > right) - (left < right)


def is_temp_name(name: str) -> bool:
    """Return whether a file name matches the temporary files this module writes."""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


class Mount:
    """The images file system mounted at `root`, with its state folder."""

    def __init__(self, root: str, lock_timeout: float | None = None) -> None:
        self.root = os.path.normpath(root)
        self.state_root = os.path.join(self.root, STATE_DIR_NAME)
        if lock_timeout is None:
            lock_timeout = LOCK_TIMEOUT_SECONDS
        self.lock_timeout = lock_timeout

    def check_mounted(self) -> None:
        """Raise MountMissingError unless the root is a directory."""
        if not os.path.isdir(self.root):
            raise MountMissingError(
                errno.ENOENT,
                f"MOUNT_PATH {self.root} is not a directory; check that the "
                "function mounts the EFS access point at that path",
            )

    def local_path(self, relative: str) -> str:
        return os.path.join(self.root, *relative.split("/"))

    def check_parents(self, relative: str) -> None:
        """Raise SymlinkPathError if a folder on the way to `relative` is a link.

        Folders that do not exist yet are not checked, and neither is the last
        path segment.
        """
        self._check_parent_dirs(self.local_path(relative))

    def _check_parent_dirs(self, path: str) -> None:
        current = self.root
        for name in self._names_below_root(os.path.dirname(path)):
            current = os.path.join(current, name)
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                return
            if stat.S_ISLNK(mode):
                raise self._symlink_error(current)
            if not stat.S_ISDIR(mode):
                # The write or delete fails with NotADirectoryError.
                return

    def _names_below_root(self, directory: str) -> list[str]:
        relative = os.path.relpath(directory, self.root)
        if relative == ".":
            return []
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise ValueError(f"{directory} is not under the mount root {self.root}")
        return relative.split(os.sep)

    def _symlink_error(self, path: str) -> SymlinkPathError:
        relative = os.path.relpath(path, self.root).replace(os.sep, "/")
        return SymlinkPathError(
            f"{relative} under MOUNT_PATH is a symbolic link, which the function "
            "does not follow; remove the link or replace it with a real folder, "
            "then run a resync"
        )

    def _state_base(self, relative: str) -> str:
        # os.fsencode keeps file names that are not valid UTF-8 hashable.
        digest = hashlib.sha256(os.fsencode(relative)).hexdigest()
        return os.path.join(self.state_root, digest[:2], digest)

    def lock_path(self, relative: str) -> str:
        return self._state_base(relative) + ".lock"

    def state_path(self, relative: str) -> str:
        return self._state_base(relative) + ".json"

    @contextlib.contextmanager
    def lock(self, relative: str) -> Iterator[None]:
        """Hold an exclusive `flock` on the lock file of `relative`.

        The Linux NFS client implements `flock` with NFSv4 byte-range locks, so
        invocations on other hosts see the lock. Polls with LOCK_NB instead of
        blocking, so that a stuck holder costs `lock_timeout` seconds and a
        LockTimeoutError, not the whole Lambda timeout. Raises SymlinkPathError
        when the lock file or a folder above it is a link.
        """
        lock_path = self.lock_path(relative)
        self._make_dirs(os.path.dirname(lock_path))
        fd = self._open_no_follow(lock_path, os.O_RDWR | os.O_CREAT)
        try:
            deadline = time.monotonic() + self.lock_timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeoutError(
                            errno.ETIMEDOUT,
                            f"lock on {relative!r} still held by another "
                            f"invocation after {self.lock_timeout:g} s",
                        ) from None
                    time.sleep(LOCK_POLL_SECONDS)
            yield
        finally:
            # Closing the descriptor releases the lock.
            os.close(fd)

    def read_state(self, relative: str) -> SyncState | None:
        """Return the recorded state of `relative`, or None if it has none.

        Raises:
            SymlinkPathError: the state file or a folder above it is a link.
        """
        state_path = self.state_path(relative)
        self._check_parent_dirs(state_path)
        try:
            fd = self._open_no_follow(state_path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            with os.fdopen(fd, encoding="utf-8") as file:
                data = json.load(file)
            return SyncState(**data)
        except (ValueError, TypeError) as error:
            # Atomic replacement makes this unexpected. Treating the state as
            # missing lets the next event rewrite both the file and the state.
            logger.warning("ignoring unreadable sync state %s: %s", state_path, error)
            return None

    def write_state(self, relative: str, state: SyncState) -> None:
        """Replace the recorded state of `relative` atomically."""
        state_path = self.state_path(relative)
        data = json.dumps(dataclasses.asdict(state)).encode("utf-8")
        self._write_atomic(state_path, [data], max_bytes=None)

    def write_file(self, relative: str, chunks: Iterable[bytes], max_bytes: int) -> int:
        """Write `chunks` to `relative` atomically and return the bytes written.

        Raises:
            ObjectTooLargeError: the chunks add up to more than `max_bytes`. The
                target is left as it was.
            SymlinkPathError: a folder on the way to `relative` is a link.
        """
        return self._write_atomic(self.local_path(relative), chunks, max_bytes)

    def _write_atomic(
        self, target: str, chunks: Iterable[bytes], max_bytes: int | None
    ) -> int:
        # The temporary file sits in the target's folder because os.replace is
        # atomic only within one file system, and readers then see either the
        # old file or the complete new one.
        directory = os.path.dirname(target)
        for attempt in range(1, MKSTEMP_ATTEMPTS + 1):
            self._make_dirs(directory)
            try:
                fd, temp_path = tempfile.mkstemp(
                    prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=directory
                )
                break
            except FileNotFoundError:
                if attempt == MKSTEMP_ATTEMPTS:
                    raise
        try:
            written = 0
            with os.fdopen(fd, "wb") as file:
                for chunk in chunks:
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise ObjectTooLargeError(
                            f"object is larger than MAX_OBJECT_BYTES ({max_bytes}); "
                            f"read {written} bytes so far"
                        )
                    file.write(chunk)
                file.flush()
                os.fchmod(file.fileno(), FILE_MODE)
                os.fsync(file.fileno())
            os.replace(temp_path, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp_path)
            raise
        return written

    def delete_file(self, relative: str) -> bool:
        """Delete `relative` and its empty parent folders; return whether it existed.

        Raises:
            SymlinkPathError: a folder on the way to `relative` is a link.
        """
        path = self.local_path(relative)
        self._check_parent_dirs(path)
        try:
            os.unlink(path)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            # No regular file exists at that path, which is what a delete needs.
            return False
        self._prune_empty_parents(os.path.dirname(path))
        return True

    def _prune_empty_parents(self, directory: str) -> None:
        while directory != self.root and directory.startswith(self.root + os.sep):
            try:
                os.rmdir(directory)
            except OSError:
                return
            directory = os.path.dirname(directory)

    def prune_empty_dirs(self) -> None:
        """Remove empty folders under the root, except the state folder."""
        for directory, subdirs, files in os.walk(self.root, topdown=False):
            if directory == self.root or directory.startswith(self.state_root):
                continue
            if not subdirs and not files:
                with contextlib.suppress(OSError):
                    os.rmdir(directory)

    def _make_dirs(self, directory: str) -> None:
        """Create the missing folders from the root down to `directory`.

        Unlike os.makedirs, this sets DIR_MODE on each new folder whatever the
        umask, stops at the root rather than creating a missing mount, and
        raises SymlinkPathError for a link in place of a folder.
        """
        current = self.root
        for name in self._names_below_root(directory):
            current = os.path.join(current, name)
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                try:
                    os.mkdir(current, DIR_MODE)
                except FileExistsError:
                    # Another invocation created it after the lstat.
                    mode = os.lstat(current).st_mode
                else:
                    os.chmod(current, DIR_MODE)
                    continue
            if stat.S_ISLNK(mode):
                raise self._symlink_error(current)
            if not stat.S_ISDIR(mode):
                raise NotADirectoryError(
                    errno.ENOTDIR, "a file is in place of a folder", current
                )

    def _open_no_follow(self, path: str, flags: int) -> int:
        """Open `path` with O_NOFOLLOW; raise SymlinkPathError if it is a link."""
        try:
            return os.open(path, flags | os.O_NOFOLLOW, FILE_MODE)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise self._symlink_error(path) from None
            raise

    def scan(self) -> tuple[list[str], list[str]]:
        """List the files under the root, outside the state folder.

        Returns the relative paths of regular files and symbolic links, then
        the relative paths of temporary files, each with "/" separators. A link
        to a folder is listed as a file and never walked into, so that its
        target's files are never listed for deletion.
        """
        files: list[str] = []
        temp_files: list[str] = []
        for directory, subdirs, names in os.walk(self.root, followlinks=False):
            if directory == self.root and STATE_DIR_NAME in subdirs:
                subdirs.remove(STATE_DIR_NAME)
            linked_dirs = [
                name
                for name in subdirs
                if os.path.islink(os.path.join(directory, name))
            ]
            for name in linked_dirs:
                subdirs.remove(name)
            relative_dir = os.path.relpath(directory, self.root)
            for name in [*names, *linked_dirs]:
                relative = name if relative_dir == "." else f"{relative_dir}/{name}"
                relative = relative.replace(os.sep, "/")
                try:
                    mode = os.lstat(os.path.join(directory, name)).st_mode
                except FileNotFoundError:  # deleted since os.walk listed it
                    continue
                if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
                    continue
                if is_temp_name(name):
                    temp_files.append(relative)
                else:
                    files.append(relative)
        return files, temp_files
