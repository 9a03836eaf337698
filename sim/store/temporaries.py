"""The hidden temporaries a run leaves in its output directory while it writes, named after
the process that owns them, so that a later run can remove those of a process that died.

Everything a run writes goes first to a hidden temporary beside its destination
(``.<scenario>.<owner>.<random>/`` for a scenario's outputs, ``.<scenario>.old.<owner>.<random>/``
for the previous run while it is swapped out, ``.report.<owner>.<random>.html.tmp`` for the
report), which is renamed into place when complete. A process that is killed cannot tidy up,
so its temporaries stay. The owner part of the name, ``icbsim-<host>-<boot>-<pid>-<start>``,
says which process made it: a hash of the host name, the first characters of the kernel's
boot id, the process id, and the process's start time (in clock ticks since boot), so that a
process id reused after the owner died is not mistaken for it.

:func:`remove_stale` removes the temporaries whose owner is certainly gone (the same host,
and either another boot, or no live process with that id and start time), and nothing else:
neither a live run's, nor another host's (on a shared disk), nor anything not named so.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The owner part of a temporary's name (see the module's docstring).
_OWNER = re.compile(
    r"\.icbsim-(?P<host>[0-9a-f]{8})-(?P<boot>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)\."
)
#: Stands for a boot id or a start time that cannot be read (nothing is concluded from it).
UNKNOWN_BOOT = "0" * 8
#: The name of the previous run inside a ``.<scenario>.old.<owner>.<random>/`` directory.
PREVIOUS = "previous"


def _process_start(pid: int) -> int:
    """When a process started, in clock ticks since boot (0 if unknown: not Linux)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        # The command name (field 2) may hold spaces and parentheses: count from its end.
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _boot_id() -> str:
    try:
        text = Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")
    except OSError:
        return UNKNOWN_BOOT
    return text[:8].lower() if re.fullmatch(r"[0-9a-fA-F]{8,}", text) else UNKNOWN_BOOT


def _host() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


@functools.cache
def _machine() -> tuple[str, str]:
    return _host(), _boot_id()


def owner_tag() -> str:
    """This process's part of a temporary's name: ``icbsim-<host>-<boot>-<pid>-<start>``.

    Not cached: a forked child is another owner, with its own id and start time.
    """
    host, boot = _machine()
    pid = os.getpid()
    return f"icbsim-{host}-{boot}-{pid}-{_process_start(pid)}"


def temporary_dir(parent: Path, what: str) -> Path:
    """A new hidden directory ``parent/.<what>.<owner>.<random>/`` of this process."""
    return Path(tempfile.mkdtemp(prefix=f".{what}.{owner_tag()}.", dir=parent))


def temporary_file(parent: Path, what: str, suffix: str) -> tuple[int, Path]:
    """A new hidden file ``parent/.<what>.<owner>.<random><suffix>`` of this process, open."""
    fd, name = tempfile.mkstemp(prefix=f".{what}.{owner_tag()}.", suffix=suffix, dir=parent)
    return fd, Path(name)


@dataclass(frozen=True)
class Owner:
    """The process a temporary's name says made it."""

    host: str
    boot: str
    pid: int
    start: int

    def is_gone(self) -> bool:
        """Whether the owner has certainly ended (False when it cannot be known)."""
        host, boot = _machine()
        if self.host != host:
            return False  # another machine's, on a shared disk: its processes are not visible
        if UNKNOWN_BOOT not in (self.boot, boot) and self.boot != boot:
            return True  # the machine has restarted since
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # another user's process with this id: look at its start time
        except OSError:
            return False
        if self.start:
            now = _process_start(self.pid)
            return bool(now) and now != self.start  # the id was reused by a newer process
        return False


def _named(path: Path) -> tuple[str, Owner] | None:
    """What a temporary is of (``baseline``, ``baseline.old``, ``report``) and its owner, or
    None if the name is not a temporary's."""
    found = _OWNER.search(path.name) if path.name.startswith(".") else None
    if found is None:
        return None
    owner = Owner(found["host"], found["boot"], int(found["pid"]), int(found["start"]))
    return path.name[1 : found.start()], owner


def owner_of(path: Path) -> Owner | None:
    """The process a temporary's name says made it, or None if it is not a temporary's."""
    named = _named(path)
    return None if named is None else named[1]


@dataclass(frozen=True)
class Cleaned:
    """What :func:`remove_stale` did."""

    #: Temporaries of ended processes that were removed.
    removed: tuple[Path, ...] = ()
    #: Previous runs put back in place (the process died while replacing them).
    restored: tuple[Path, ...] = ()


def remove_stale(out_dir: Path) -> Cleaned:
    """Remove the temporaries in ``out_dir`` left by processes that have ended.

    A previous run found swapped out (``.<scenario>.old.<owner>.<random>/previous``) while
    ``<scenario>/`` itself is missing is first put back, so that a kill between the two
    renames of a replacement does not lose the previous run. Anything else is left alone.
    """
    removed: list[Path] = []
    restored: list[Path] = []
    try:
        entries = sorted(out_dir.iterdir())
    except OSError:
        return Cleaned()
    for path in entries:
        named = _named(path)
        if named is None or not named[1].is_gone():
            continue
        what = named[0]
        previous = path / PREVIOUS
        if what.endswith(".old") and previous.is_dir() and not path.is_symlink():
            final = out_dir / what.removesuffix(".old")
            if not final.exists() and not final.is_symlink():
                try:
                    os.replace(previous, final)
                    restored.append(final)
                except OSError:
                    continue  # keep the previous run where it is rather than lose it
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return Cleaned(tuple(removed), tuple(restored))
