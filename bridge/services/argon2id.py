"""argon2id through libargon2's context: the same hashes as argon2-cffi's, computed cheaper.

argon2-cffi's ``PasswordHasher`` runs one thread per lane (``p``) and lets libargon2 ``malloc``
the working memory. Under gunicorn, with a worker per core, the threads only contend for the
cores and caches the other workers use, and a fresh block of ``m`` KiB in 4 KiB pages costs a
page fault per page (16,384 for the default 64 MiB, about a fifth of a verify's CPU). Here
libargon2 is called with an ``argon2_context`` (the documented ``argon2.low_level.core``):
``threads`` is ours to choose (the hash depends on the lanes only), and the block is an
anonymous mapping of 2 MiB-aligned huge pages (``MADV_HUGEPAGE``; where transparent huge pages
are off, plain pages), unmapped when the computation ends, so a worker keeps no block between
logins. libargon2 wipes the block before handing it back.

Only the canonical form argon2-cffi writes, ``$argon2id$v=19$m=..,t=..,p=..$<salt>$<hash>``,
is parsed here; callers hand anything else to argon2-cffi.
"""

from __future__ import annotations

import base64
import contextlib
import mmap
import re
from dataclasses import dataclass
from typing import Any

from argon2.exceptions import HashingError
from argon2.low_level import ARGON2_VERSION, Type, core, error_to_str, ffi

HUGE_PAGE = 2 << 20
# libargon2's codes (argon2.h): success, and what a failed allocation callback reports.
ARGON2_OK, ARGON2_MEMORY_ALLOCATION_ERROR = 0, -22
_UINT32 = 2**32

_ENCODED = re.compile(
    r"\$argon2id\$v=19\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,9})"
    r"\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)"
)


@dataclass(frozen=True)
class Encoded:
    """An argon2id (version 19) hash in argon2-cffi's encoding, taken apart."""

    time_cost: int
    memory_cost: int  # KiB
    lanes: int
    salt: bytes
    digest: bytes


def b64_unpadded(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii").rstrip("=")


def _b64_canonical(text: str) -> bytes | None:
    """The bytes of unpadded base64 ``text``, or None unless ``text`` is exactly how they
    encode (libargon2 refuses stray bits that Python's decoder would drop)."""
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except ValueError:
        return None
    return raw if b64_unpadded(raw) == text else None


def parse(encoded: str) -> Encoded | None:
    """``encoded`` taken apart, or None when it is not in the canonical argon2id form."""
    match = _ENCODED.fullmatch(encoded)
    if match is None:
        return None
    memory_cost, time_cost, lanes = (int(match[n]) for n in (1, 2, 3))
    salt, digest = _b64_canonical(match[4]), _b64_canonical(match[5])
    if salt is None or digest is None or max(memory_cost, time_cost, lanes) >= _UINT32:
        return None
    return Encoded(time_cost, memory_cost, lanes, salt, digest)


def encode(time_cost: int, memory_cost: int, lanes: int, salt: bytes, digest: bytes) -> str:
    """The encoding argon2-cffi (libargon2's ``encode_string``) writes."""
    return (
        f"$argon2id$v={ARGON2_VERSION}$m={memory_cost},t={time_cost},p={lanes}"
        f"${b64_unpadded(salt)}${b64_unpadded(digest)}"
    )


class _HugePageBlocks:
    """libargon2's ``allocate_cbk``/``free_cbk``: each block is a private anonymous mapping,
    rounded up to whole huge pages and aligned to one, and unmapped when it is freed."""

    def __init__(self) -> None:
        self._mapped: dict[int, tuple[mmap.mmap, Any]] = {}  # address -> (mapping, buffer)
        self.allocate = ffi.callback(
            "allocate_fptr", self._allocate, error=ARGON2_MEMORY_ALLOCATION_ERROR
        )
        self.free = ffi.callback("deallocate_fptr", self._free)

    def _allocate(self, memory: Any, size: int) -> int:
        length = -(-size // HUGE_PAGE) * HUGE_PAGE + HUGE_PAGE  # whole pages and the alignment
        mapping = mmap.mmap(-1, length, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        buffer = ffi.from_buffer(mapping)
        start = int(ffi.cast("uintptr_t", buffer))
        offset = -start % HUGE_PAGE
        madvise = getattr(mmap, "MADV_HUGEPAGE", None)
        if madvise is not None:  # a kernel without transparent huge pages: plain pages then
            with contextlib.suppress(OSError):
                mapping.madvise(madvise, offset, length - HUGE_PAGE)
        self._mapped[start + offset] = (mapping, buffer)
        memory[0] = ffi.cast("uint8_t *", buffer) + offset
        return 0

    def in_use(self) -> list[int]:
        return list(self._mapped)

    def _free(self, block: Any, size: int) -> None:
        mapping, buffer = self._mapped.pop(int(ffi.cast("uintptr_t", block)))
        ffi.release(buffer)
        mapping.close()


def _huge_page_blocks() -> _HugePageBlocks | None:
    try:
        return _HugePageBlocks()
    except (MemoryError, OSError, AttributeError):
        return None  # no executable callbacks (a W^X policy) or no mmap: libargon2's malloc


_BLOCKS = _huge_page_blocks()


def blocks_in_use() -> int:
    """Working-memory blocks mapped now (none between computations)."""
    return len(_BLOCKS.in_use()) if _BLOCKS else 0


def compute(
    password: bytes,
    salt: bytes,
    *,
    time_cost: int,
    memory_cost: int,
    lanes: int,
    threads: int,
    digest_length: int,
) -> bytes:
    """The argon2id digest; ``HashingError`` when libargon2 refuses the inputs."""
    out = ffi.new("uint8_t[]", digest_length)
    c_password = ffi.new("uint8_t[]", password)
    c_salt = ffi.new("uint8_t[]", salt)
    context = ffi.new(
        "argon2_context *",
        {
            "out": out,
            "outlen": digest_length,
            "pwd": c_password,
            "pwdlen": len(password),
            "salt": c_salt,
            "saltlen": len(salt),
            "secret": ffi.NULL,
            "secretlen": 0,
            "ad": ffi.NULL,
            "adlen": 0,
            "t_cost": time_cost,
            "m_cost": memory_cost,
            "lanes": lanes,
            "threads": max(1, min(threads, lanes)),
            "version": ARGON2_VERSION,
            "allocate_cbk": _BLOCKS.allocate if _BLOCKS else ffi.NULL,
            "free_cbk": _BLOCKS.free if _BLOCKS else ffi.NULL,
            "flags": 0,  # ARGON2_DEFAULT_FLAGS
        },
    )
    code = core(context, Type.ID.value)
    if code != ARGON2_OK:
        raise HashingError(error_to_str(code))
    return bytes(out)
