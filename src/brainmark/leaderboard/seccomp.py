"""The sandbox's seccomp filter, compiled by libseccomp (Debian's ``libseccomp2``) through a thin ctypes binding.

The filter allows everything except system calls that let code leave or widen its sandbox: joining or creating
namespaces (``setns``, ``unshare``, ``clone`` with namespace flags; ``clone3`` answers ENOSYS so libc falls back
to ``clone``), ``ptrace`` and cross-process memory access, mounting, ``bpf``, ``perf_event_open``, kernel keyrings,
module loading, ``kexec``, file handles (``open_by_handle_at``), ``userfaultfd`` and the new mount API.
Refused calls fail with EPERM; system calls of another ABI (x32, i386) kill the process (libseccomp's
bad-architecture default). bubblewrap loads the compiled program (``--seccomp FD``) just before it runs the command.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

#: System calls refused with EPERM.
DENIED = (
    "setns", "unshare", "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
    "open_tree", "mount_setattr", "bpf", "perf_event_open", "keyctl", "add_key", "request_key",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "open_by_handle_at",
    "name_to_handle_at", "userfaultfd", "swapon", "swapoff", "reboot", "acct", "quotactl", "iopl", "ioperm",
    "syslog", "lookup_dcookie", "vhangup",
)
#: clone() flags that create namespaces (refused even though clone itself is allowed).
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}

_ACT_ALLOW = 0x7FFF0000
_ACT_ERRNO = 0x00050000
_CMP_MASKED_EQ = 7


class SeccompUnavailable(RuntimeError):
    """libseccomp cannot be loaded or refused to build the filter."""


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


@functools.lru_cache(maxsize=1)
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable(f"libseccomp is not installed ({exc}); install the libseccomp2 package") from exc
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


def _add(lib: ctypes.CDLL, ctx: int, action: int, name: str, *cmps: _ArgCmp) -> None:
    number = lib.seccomp_syscall_resolve_name(name.encode())
    if number < 0:  # not a system call of this architecture (e.g. iopl on arm64): nothing to refuse
        return
    array = (_ArgCmp * len(cmps))(*cmps) if cmps else None
    rc = lib.seccomp_rule_add_array(ctx, action, number, len(cmps), array)
    if rc < 0:
        raise SeccompUnavailable(f"libseccomp refused the rule for {name}: {os.strerror(-rc)}")


@functools.lru_cache(maxsize=1)
def filter_program() -> bytes:
    """The compiled BPF program (cached: it is the same for every job)."""
    lib = _library()
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise SeccompUnavailable("seccomp_init failed")
    try:
        eperm = _ACT_ERRNO | errno.EPERM
        for name in DENIED:
            _add(lib, ctx, eperm, name)
        for flag in NAMESPACE_FLAGS.values():
            _add(lib, ctx, eperm, "clone", _ArgCmp(0, _CMP_MASKED_EQ, flag, flag))
        _add(lib, ctx, _ACT_ERRNO | errno.ENOSYS, "clone3")
        fd = os.memfd_create("brainmark-seccomp", 0)
        try:
            rc = lib.seccomp_export_bpf(ctx, fd)
            if rc < 0:
                raise SeccompUnavailable(f"seccomp_export_bpf failed: {os.strerror(-rc)}")
            os.lseek(fd, 0, os.SEEK_SET)
            return _read_all(fd)
        finally:
            os.close(fd)
    finally:
        lib.seccomp_release(ctx)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def filter_fd() -> int:
    """A fresh, readable memfd holding the program, for ``bwrap --seccomp FD`` (the caller closes it)."""
    fd = os.memfd_create("brainmark-seccomp", 0)
    os.write(fd, filter_program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
