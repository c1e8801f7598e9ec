"""One way to replace a file: all of the new content or none of it.

Graph files, autosaves, exported code, weights and checkpoints all go through
:func:`write_atomic`: the data goes to a hidden temporary file beside the
target, is flushed to disk, then renamed over it, so a crash or ``kill -9``
mid-write never leaves half a file. Temporaries such a kill left behind are
removed by the next write to the same file.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

STALE_AFTER_S = 60.0  # an older temporary of ours cannot belong to a write still running


def write_atomic(path: str | os.PathLike, data: str | bytes | Callable[[Path], None]) -> None:
    """Replace ``path`` with ``data``: text (UTF-8, ``\\n`` newlines), bytes, or a
    function that writes the temporary file it is given (for ``torch.save``).

    The new file keeps the mode of the one it replaces (or gets the umask's
    default), not the private mode temporary files are created with.
    """
    path = Path(path)
    folder = path.parent
    _remove_stale_temporaries(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data.encode("utf-8") if isinstance(data, str) else data)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_stale_temporaries(path: Path) -> None:
    """Delete ``.NAME.*.tmp`` files beside ``path`` older than :data:`STALE_AFTER_S`."""
    cutoff = time.time() - STALE_AFTER_S
    try:
        leftovers = list(path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"))
    except OSError:
        return
    for leftover in leftovers:
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass  # gone already, or not ours to remove


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
