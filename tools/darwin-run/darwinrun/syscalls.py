"""The BSD system calls of XNU, each carried out by the matching Linux call.

Conventions (xnu bsd/dev/arm/systemcalls.c): the number is in x16 and the
arguments in x0-x5. On success the carry flag is clear, x0 holds the result
and x1 a second one (0 for most calls); on failure the carry is set, x0
holds a positive Darwin errno and x1 is 0. Structures cross in Darwin
layout both ways; flags and constants are translated, never passed through.
"""

import ctypes
import errno
import fcntl
import os
import signal
import socket
import stat
import struct
import time

from . import strace, xnu
from .errors import Fatal, GuestExit

_libc = ctypes.CDLL(None, use_errno=True)


def _fn(name, restype, *argtypes):
    f = getattr(_libc, name)
    f.restype = restype
    f.argtypes = argtypes
    return f


_int, _long, _size, _ptr = ctypes.c_int, ctypes.c_long, ctypes.c_size_t, ctypes.c_void_p
_ssize = ctypes.c_ssize_t
libc_read = _fn("read", _ssize, _int, _ptr, _size)
libc_write = _fn("write", _ssize, _int, _ptr, _size)
libc_pread = _fn("pread", _ssize, _int, _ptr, _size, ctypes.c_int64)
libc_pwrite = _fn("pwrite", _ssize, _int, _ptr, _size, ctypes.c_int64)
libc_writev = _fn("writev", _ssize, _int, _ptr, _int)
libc_readv = _fn("readv", _ssize, _int, _ptr, _int)
libc_openat = _fn("openat", _int, _int, ctypes.c_char_p, _int, ctypes.c_uint)
libc_close = _fn("close", _int, _int)
libc_wait4 = _fn("wait4", _int, _int, _ptr, _int, _ptr)
libc_kill = _fn("kill", _int, _int, _int)
libc_socket = _fn("socket", _int, _int, _int, _int)
libc_bind = _fn("bind", _int, _int, _ptr, ctypes.c_uint)
libc_connect = _fn("connect", _int, _int, _ptr, ctypes.c_uint)
libc_listen = _fn("listen", _int, _int, _int)
libc_accept = _fn("accept", _int, _int, _ptr, _ptr)
libc_getsockname = _fn("getsockname", _int, _int, _ptr, _ptr)
libc_getpeername = _fn("getpeername", _int, _int, _ptr, _ptr)
libc_setsockopt = _fn("setsockopt", _int, _int, _int, _int, _ptr, ctypes.c_uint)
libc_getsockopt = _fn("getsockopt", _int, _int, _int, _int, _ptr, _ptr)
libc_sendto = _fn("sendto", _ssize, _int, _ptr, _size, _int, _ptr, ctypes.c_uint)
libc_recvfrom = _fn("recvfrom", _ssize, _int, _ptr, _size, _int, _ptr, _ptr)
libc_shutdown = _fn("shutdown", _int, _int, _int)
libc_poll = _fn("poll", _int, _ptr, ctypes.c_ulong, _int)
libc_lseek = _fn("lseek", ctypes.c_int64, _int, ctypes.c_int64, _int)
libc_sendfile = _fn("sendfile", _ssize, _int, _int, _ptr, _size)
libc_setitimer = _fn("setitimer", _int, _int, _ptr, _ptr)
libc_getitimer = _fn("getitimer", _int, _int, _ptr)
libc_getdents64 = _fn("getdents64", _ssize, _int, _ptr, _size)
libc_syscall = _fn("syscall", _long, _long, _long, _long, _long, _long)
libc_fcntl = _fn("fcntl", _int, _int, _int, _long)

INT_MAX = 0x7FFFFFFF
MAXPATHLEN = 1024  # bsd/sys/param.h
IO_CHUNK = 16 << 20  # a read asks the host for at most this much at once
UIO_MAXIOV = 1024  # bsd/sys/uio.h
GETDIRENTRIES64_EXTENDED_BUFSIZE = 1024  # bsd/sys/dirent_private.h
GETDIRENTRIES64_EOF = 1
GETDIRENTRIES_MAXBUFSIZE = 128 * 1024 * 1024  # bsd/vfs/vfs_syscalls.c
SYS_OPENAT2 = 437  # Linux: the same number on every architecture
LINUX_AT_FDCWD = -100  # uapi/linux/fcntl.h
RESOLVE_NO_SYMLINKS = 0x04  # linux/openat2.h

HANDLERS = {}


def syscall(number, name):
    def register(fn):
        HANDLERS[number] = (name, fn)
        return fn
    return register


class Fail(Exception):
    """The call fails with this Darwin errno."""

    def __init__(self, darwin_errno):
        super().__init__(darwin_errno)
        self.errno = darwin_errno


class Killed(Exception):
    """The call fails and then the kernel sends the process a signal."""

    def __init__(self, darwin_errno, sig):
        super().__init__(darwin_errno)
        self.errno = darwin_errno
        self.signal = sig


def check(ret, socket_call=False):
    """A host libc result, or the Darwin error for its errno."""
    if ret == -1:
        raise Fail(xnu.darwin_errno(ctypes.get_errno(), socket_call))
    return ret


class Disposition:
    """What XNU keeps for one signal (struct sigacts, bsd/sys/signalvar.h):
    the handler, the mask, and the flags as separate bits. sigaction reads
    them back from these, not from what was passed in."""

    def __init__(self, handler, mask=0, flags=xnu.SA_RESTART):
        self.handler = handler
        self.mask = mask
        self.flags = flags


class Call:
    """One system call: its arguments as XNU reads them."""

    def __init__(self, args):
        self.args = args
        self.shown = None
        self.x1 = 0
        self.result_text = None

    def int(self, i):  # C int: the low 32 bits, signed
        value = self.args[i] & 0xFFFFFFFF
        return value - (1 << 32) if value & 0x80000000 else value

    def uint(self, i):
        return self.args[i] & 0xFFFFFFFF

    def size(self, i):  # size_t, pointers
        return self.args[i]

    def off(self, i):  # off_t: signed 64 bits
        value = self.args[i]
        return value - (1 << 64) if value >> 63 else value

    def show(self, *parts):
        self.shown = ", ".join(str(p) for p in parts)


class Syscalls:
    def __init__(self, machine):
        self.m = machine
        self.uc = machine.uc
        self.regions = [(lo, hi, prot) for lo, hi, prot in self.uc.mem_regions()]
        self.nosigpipe = set()  # sockets with SO_NOSIGPIPE
        self.rcvtimeo = set()  # sockets with a receive timeout set
        self.connected = set()  # sockets that were connected or accepted
        self.dispositions = self._initial_dispositions()
        # XNU's P_NOCLDWAIT (bsd/sys/proc.h): the children of this process
        # are reaped as they exit. Only the process's own sigaction sets it
        # (bsd/kern/kern_sig.c setsigvec: SA_NOCLDWAIT, or SIGCHLD to
        # SIG_IGN), and fork does not pass it on (bsd/kern/kern_fork.c
        # forkproc keeps a few p_flag bits, not this one). The guest was
        # just exec'd by a process that forked, so it starts clear, even
        # when SIGCHLD is ignored.
        self.nocldwait = False

    @staticmethod
    def _initial_dispositions():
        """What the guest inherits: the host's dispositions, minus Python's
        own changes (it ignores SIGPIPE and SIGXFSZ and catches SIGINT)."""
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        table = {}
        for number in xnu.DARWIN_SIGNALS:
            host = xnu.linux_signal(number)
            ignored = host not in (None, signal.SIGPIPE) and signal.getsignal(host) is signal.SIG_IGN
            table[number] = Disposition(xnu.SIG_IGN if ignored else xnu.SIG_DFL)
        # SIGPIPE stays ignored in the host so that a write to a dead socket
        # returns EPIPE; the emulator then decides, as XNU would, whether the
        # guest dies of it (SO_NOSIGPIPE, MSG_NOSIGNAL, its disposition).
        #
        # A Linux process with SIGCHLD ignored reaps its children at once;
        # an XNU one only with P_NOCLDWAIT, which the guest does not have
        # yet (see nocldwait). The guest still sees SIG_IGN.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        return table

    # --- guest memory ------------------------------------------------------
    def _mapped(self, address, length, prot):
        end = address + length
        while address < end:
            for lo, hi, p in self.regions:
                if lo <= address <= hi and p & prot == prot:
                    address = hi + 1
                    break
            else:
                return False
        return True

    def read(self, address, length):
        if length == 0:
            return b""
        if not self._mapped(address, length, 1):
            raise Fail(xnu.E["EFAULT"])
        return bytes(self.uc.mem_read(address, length))

    def writable(self, address, length):
        if length and not self._mapped(address, length, 2):
            raise Fail(xnu.E["EFAULT"])

    def write(self, address, data):
        self.writable(address, len(data))
        if data:
            self.uc.mem_write(address, bytes(data))

    def cstring(self, address, limit=MAXPATHLEN):
        """A NUL-terminated string (copyinstr): EFAULT, or ENAMETOOLONG past
        `limit` bytes with the NUL."""
        out = b""
        while True:
            page_end = (address + 4096) & ~4095
            chunk = self.read(address, page_end - address)
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                if len(out) + 1 > limit:
                    raise Fail(xnu.E["ENAMETOOLONG"])
                return out
            out += chunk
            if len(out) >= limit:
                raise Fail(xnu.E["ENAMETOOLONG"])
            address = page_end

    def u32(self, address):
        return struct.unpack("<I", self.read(address, 4))[0]

    # --- dispatch ---------------------------------------------------------
    def dispatch(self):
        x16, regs = self.m.syscall_registers()
        if x16 >> 63:
            raise Fatal(f"Mach trap {x16 - (1 << 64)} (negative x16) is not emulated")
        # The kernel keeps the low 16 bits (arm_get_syscall_number).
        number = x16 & 0xFFFF
        if number != x16 and self.m.strict:
            raise Fatal(f"strict: x16 = {x16:#x} is not a plain syscall number; XNU "
                        f"truncates it to {number}, but on arm64 the number is never prefixed")
        args = regs
        if number == 0:  # the indirect syscall(): number in x0, args shifted
            number, args = regs[0] & 0xFFFF, regs[1:]
        call = Call(args)
        entry = HANDLERS.get(number)
        name = entry[0] if entry else f"syscall_{number}"
        try:
            if entry:
                result = entry[1](self, call)
            elif number in xnu.ENOSYS:
                raise Fail(xnu.E["ENOSYS"])
            elif number in xnu.NOSYS or number >= xnu.NSYSENT:
                # nosys(): ENOSYS, and SIGSYS unless the process ignores it.
                call.show(*[f"{a:#x}" for a in args[:6]])
                if self.dispositions[xnu.SIG["SIGSYS"]].handler == xnu.SIG_IGN:
                    raise Fail(xnu.E["ENOSYS"])
                raise Killed(xnu.E["ENOSYS"], xnu.SIG["SIGSYS"])
            else:
                raise Fatal(f"system call {number} exists in XNU but is not emulated "
                            f"(pc {self.m.pc() - 4:#x})")
        except Fail as failure:
            self._trace(name, call, strace.error(failure.errno))
            self.m.set_result(failure.errno, 0, failed=True)
            return
        except Killed as kill:
            self._trace(name, call, strace.error(kill.errno))
            self.m.set_result(kill.errno, 0, failed=True)
            self.m.log(f"--- {xnu.DARWIN_SIGNALS[kill.signal]} ---")
            raise GuestExit(signal_number=kill.signal) from None
        if isinstance(result, tuple):
            x0, call.x1 = result
        else:
            x0 = result
        self._trace(name, call, call.result_text or str(x0))
        self.m.set_result(x0, call.x1, failed=False)

    def _trace(self, name, call, result):
        if self.m.trace is not None:
            head = f"{name}({call.shown if call.shown is not None else ''})"
            # strace lines the results up at column 40
            self.m.log(f"{head:<39} = {result}")

    # --- shared pieces -----------------------------------------------------
    def broken_pipe(self, fd, nosignal=False):
        """EPIPE from a write: XNU also raises SIGPIPE unless the socket has
        SO_NOSIGPIPE, the call passed MSG_NOSIGNAL, or SIGPIPE is ignored
        (bsd/kern/sys_socket.c soo_write; bsd/kern/uipc_syscalls.c sendit)."""
        if fd not in self.connected and socket_domain(fd) is not None:
            # Linux says EPIPE for a stream socket that never connected;
            # XNU's sosend says ENOTCONN, and raises nothing.
            raise Fail(xnu.E["ENOTCONN"])
        if nosignal or fd in self.nosigpipe:
            raise Fail(xnu.E["EPIPE"])
        if self.dispositions[xnu.SIG["SIGPIPE"]].handler == xnu.SIG_IGN:
            raise Fail(xnu.E["EPIPE"])
        raise Killed(xnu.E["EPIPE"], xnu.SIG["SIGPIPE"])

    def host_write(self, fd, fn, *args, nosignal=False):
        ret = fn(*args)
        if ret == -1 and ctypes.get_errno() == errno.EPIPE:
            self.broken_pipe(fd, nosignal)
        return check(ret)

    def forget_fd(self, fd):
        self.nosigpipe.discard(fd)
        self.rcvtimeo.discard(fd)
        self.connected.discard(fd)

    def copy_fd_state(self, fd, new):
        """What the emulator keeps per socket belongs to the socket, so a
        duplicate descriptor shares it."""
        self.forget_fd(new)
        for table in (self.nosigpipe, self.rcvtimeo, self.connected):
            if fd in table:
                table.add(new)

    def sockaddr_in(self, call, fd, address, length):
        """A Darwin socket address from the guest, as a Linux one.

        XNU's getsockaddr (bsd/kern/uipc_syscalls.c) overwrites sa_len with
        the length passed, and turns family AF_UNSPEC into AF_INET for a
        16-byte address: a Linux-layout sockaddr_in (02 00 ...) binds."""
        if length > xnu.SOCK_MAXADDRLEN:
            raise Fail(xnu.E["ENAMETOOLONG"])
        if length < 2:
            raise Fail(xnu.E["EINVAL"])
        data = bytearray(self.read(address, length))
        call.show(fd, strace.sockaddr(data), length)
        domain = socket_domain(fd)
        if (self.m.strict and domain == socket.AF_INET and data[1] != xnu.AF_INET):
            raise Fatal(
                f"strict: the sockaddr_in passed to an AF_INET socket (fd {fd}) has "
                f"family byte {data[1]} at offset 1 (bytes {data[:2].hex(' ')}): "
                f"Darwin's layout is sin_len (u8) then sin_family (u8) = 2; this "
                f"looks like Linux's u16 sin_family. XNU would accept it, and hand "
                f"back Darwin-layout addresses later"
            )
        family = data[1]
        if family == xnu.AF_UNSPEC and domain == socket.AF_INET and length == 16:
            family = xnu.AF_INET
        host_family = xnu.AF_TO_HOST.get(family)
        if host_family is None:
            raise Fail(xnu.E["EAFNOSUPPORT"])
        return struct.pack("<H", host_family) + bytes(data[2:])

    def sockaddr_out(self, host):
        """A Linux socket address as Darwin's: sa_len, then a one-byte family."""
        (family,) = struct.unpack_from("<H", host, 0)
        darwin = {v: k for k, v in xnu.AF_TO_HOST.items()}.get(family, family)
        size = {socket.AF_INET: 16, socket.AF_INET6: 28}.get(family, len(host))
        body = bytes(host[2:size])
        return bytes([size & 0xFF, darwin]) + body

    def copy_out_sockaddr(self, call, name, namelen_at, given, darwin, fault_length=None):
        """accept, getsockname, getpeername, recvfrom (bsd/kern/uipc_syscalls.c):
        copy min(given, sa_len) bytes of the address, then write back sa_len,
        "the actual, untruncated address length". A failed copy of the
        address is EFAULT, except in accept and recvfrom's copyout_sa,
        which go on and write back `fault_length` instead."""
        copied = min(given, len(darwin))
        length = len(darwin)
        try:
            self.write(name, darwin[:copied])
        except Fail:
            if fault_length is None:
                raise
            length = fault_length
        self.write(namelen_at, struct.pack("<I", length))
        call.show(call.args[0] & 0xFFFFFFFF, strace.sockaddr(darwin[:copied]), f"[{length}]")


def socket_domain(fd):
    """The host family of a socket, or None if fd is not one."""
    value = ctypes.c_int()
    size = ctypes.c_uint(4)
    if libc_getsockopt(fd, socket.SOL_SOCKET, socket.SO_DOMAIN,
                       ctypes.byref(value), ctypes.byref(size)) == -1:
        return None
    return value.value


# --- processes ----------------------------------------------------------------
@syscall(1, "exit")
def sys_exit(s, c):
    # exit(rval): the parent sees the low 8 bits (bsd/kern/kern_exit.c).
    status = c.int(0) & 0xFF
    c.show(c.int(0))
    s.m.log(f"{f'exit({c.int(0)})':<39} = ?")
    s.m.log(f"+++ exited with {status} +++")
    raise GuestExit(status=status)


@syscall(2, "fork")
def sys_fork(s, c):
    c.show()
    # From now on each trace line says which process it comes from.
    s.m.forked = True
    try:
        pid = os.fork()
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    if pid == 0:
        # The child keeps its parent's dispositions but not P_NOCLDWAIT
        # (bsd/kern/kern_fork.c forkproc): its own children wait to be
        # reaped, so the host must not reap them either.
        s.nocldwait = False
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # bsd/kern/kern_fork.c and osfmk/arm64/status.c thread_set_child:
        # the child gets its own pid in x0 and 1 in x1.
        c.result_text = f"{os.getpid()} [x1=1: the child]"
        return os.getpid(), 1
    c.result_text = f"{pid} [x1=0: the parent]"
    return pid, 0


@syscall(7, "wait4")
def sys_wait4(s, c):
    pid, status_at, options, rusage_at = c.int(0), c.size(1), c.int(2), c.size(3)
    c.show(pid, strace.pointer(status_at), strace.flags(options, xnu.WAIT_OPTIONS),
           strace.pointer(rusage_at))
    host_options = 0
    for bit, _name, host in xnu.WAIT_OPTIONS:
        if options & bit:
            host_options |= host
            options &= ~bit
    if options:
        raise Fail(xnu.E["EINVAL"])
    if status_at:
        s.writable(status_at, 4)
    if rusage_at:
        s.writable(rusage_at, 144)
    status = ctypes.c_int()
    usage = ctypes.create_string_buffer(144)
    child = check(libc_wait4(pid, ctypes.byref(status), host_options, usage))
    if child > 0:
        darwin = darwin_wait_status(status.value)
        if status_at:
            s.write(status_at, struct.pack("<i", darwin))
            c.show(pid, f"[{wait_status_text(darwin)}]", strace.flags(c.int(2), xnu.WAIT_OPTIONS),
                   strace.pointer(rusage_at))
        if rusage_at:
            s.write(rusage_at, darwin_rusage(usage.raw))
    return child


def darwin_wait_status(st):
    """The same encoding on both (bsd/sys/wait.h); only signal numbers move."""
    if st == 0xFFFF:  # Linux's "continued"; Darwin says stopped by SIGCONT
        return (xnu.SIG["SIGCONT"] << 8) | 0x7F
    low = st & 0x7F
    if low == 0:
        return st
    if low == 0x7F:
        return (xnu.darwin_signal((st >> 8) & 0xFF) << 8) | 0x7F
    return (st & 0x80) | xnu.darwin_signal(low)


def wait_status_text(st):
    low = st & 0x7F
    if low == 0:
        return f"{{WIFEXITED(s) && WEXITSTATUS(s) == {(st >> 8) & 0xFF}}}"
    if low == 0x7F:
        return f"{{WIFSTOPPED(s) && WSTOPSIG(s) == {strace.signal_name((st >> 8) & 0xFF)}}}"
    return f"{{WIFSIGNALED(s) && WTERMSIG(s) == {strace.signal_name(low)}}}"


def darwin_rusage(host):
    """struct rusage: two timevals (Darwin usec is 32 bits) and 14 longs;
    ru_maxrss is bytes on Darwin, KiB on Linux."""
    fields = struct.unpack("<4q14q", host)
    longs = list(fields[4:])
    longs[0] *= 1024
    return struct.pack("<qi4xqi4x14q", fields[0], fields[1], fields[2], fields[3], *longs)


@syscall(20, "getpid")
def sys_getpid(s, c):
    c.show()
    return os.getpid()


@syscall(39, "getppid")
def sys_getppid(s, c):
    c.show()
    return os.getppid()


@syscall(24, "getuid")
def sys_getuid(s, c):
    c.show()
    return os.getuid()


@syscall(25, "geteuid")
def sys_geteuid(s, c):
    c.show()
    return os.geteuid()


@syscall(47, "getgid")
def sys_getgid(s, c):
    c.show()
    return os.getgid()


@syscall(43, "getegid")
def sys_getegid(s, c):
    c.show()
    return os.getegid()


@syscall(327, "issetugid")
def sys_issetugid(s, c):
    c.show()
    return 0


@syscall(37, "kill")
def sys_kill(s, c):
    pid, sig, posix = c.int(0), c.int(1), c.int(2)
    c.show(pid, strace.signal_name(sig) if sig else 0, posix)
    if not 0 <= sig < xnu.NSIG:
        raise Fail(xnu.E["EINVAL"])
    host = xnu.linux_signal(sig) if sig else 0
    if host is None:
        raise Fatal(f"kill with {strace.signal_name(sig)}: no Linux signal to send")
    check(libc_kill(pid, host))
    # The host ignores SIGPIPE on the guest's behalf; a SIGPIPE sent to
    # ourselves must still end us if the guest left it at SIG_DFL.
    if (sig == xnu.SIG["SIGPIPE"] and pid in (0, os.getpid())
            and s.dispositions[sig].handler == xnu.SIG_DFL):
        s.m.log(f"kill({c.shown}) = 0")
        s.m.log("--- SIGPIPE ---")
        raise GuestExit(signal_number=sig)
    return 0


@syscall(46, "sigaction")
def sys_sigaction(s, c):
    """sigaction(sig, const struct __sigaction *nsa, struct sigaction *osa):
    nsa is 24 bytes {handler, sa_tramp, mask u32, flags i32}, osa 16 bytes
    {handler, mask u32, flags i32} (bsd/sys/signal.h). The order of the
    checks and copies is kern_sig.c's sigaction() and setsigvec()."""
    sig, nsa, osa = c.int(0), c.size(1), c.size(2)
    c.show(strace.signal_name(sig), strace.pointer(nsa), strace.pointer(osa))
    if sig <= 0 or sig >= xnu.NSIG or sig in (xnu.SIG["SIGKILL"], xnu.SIG["SIGSTOP"]):
        raise Fail(xnu.E["EINVAL"])
    new = None
    if nsa:
        handler, _tramp, mask, flags = struct.unpack("<QQIi", s.read(nsa, 24))
        flags &= xnu.SA_USERSPACE_MASK
        shown = {xnu.SIG_DFL: "SIG_DFL", xnu.SIG_IGN: "SIG_IGN"}.get(handler, f"{handler:#x}")
        c.show(strace.signal_name(sig), f"{{sa_handler={shown}, sa_mask={mask:#x}, "
               f"sa_flags={strace.flags(flags, SA_NAMES)}}}", strace.pointer(osa))
        if handler not in (xnu.SIG_DFL, xnu.SIG_IGN):
            raise Fatal(f"sigaction({strace.signal_name(sig)}) installs a handler at "
                        f"{handler:#x}: only SIG_DFL and SIG_IGN are emulated")
        if sig == xnu.SIG["SIGCHLD"] and flags & xnu.SA_NOCLDWAIT and handler == xnu.SIG_DFL:
            raise Fatal("sigaction(SIGCHLD) with SA_NOCLDWAIT is not emulated")
        new = Disposition(handler, mask & ~xnu.SIGCANTMASK, flags)
    if osa:
        old = s.dispositions[sig]
        # The kernel keeps SA_RESTART as "interruptible unless set", so a
        # signal never configured reads back with SA_RESTART.
        kept = (xnu.SA_ONSTACK | xnu.SA_RESTART | xnu.SA_SIGINFO | xnu.SA_NODEFER
                | xnu.SA_64REGSET)
        flags = old.flags & kept
        if sig == xnu.SIG["SIGCHLD"]:
            flags |= old.flags & xnu.SA_NOCLDSTOP
            if s.nocldwait:  # the process flag, not the handler
                flags |= xnu.SA_NOCLDWAIT
        s.write(osa, struct.pack("<QIi", old.handler, old.mask, flags))
    if new:
        s.dispositions[sig] = new
        if sig == xnu.SIG["SIGCHLD"]:
            # setsigvec: P_NOCLDWAIT follows SA_NOCLDWAIT or SIG_IGN (with
            # SIG_DFL, SA_NOCLDWAIT was refused above).
            s.nocldwait = new.handler == xnu.SIG_IGN
        host = xnu.linux_signal(sig)
        if host is not None and host != signal.SIGPIPE:
            # For SIGCHLD this is P_NOCLDWAIT: Linux reaps the children of
            # a process that ignores it.
            signal.signal(host, signal.SIG_IGN if new.handler == xnu.SIG_IGN else signal.SIG_DFL)
    return 0


SA_NAMES = [(xnu.SA_ONSTACK, "SA_ONSTACK"), (xnu.SA_RESTART, "SA_RESTART"),
            (xnu.SA_RESETHAND, "SA_RESETHAND"), (xnu.SA_NOCLDSTOP, "SA_NOCLDSTOP"),
            (xnu.SA_NODEFER, "SA_NODEFER"), (xnu.SA_NOCLDWAIT, "SA_NOCLDWAIT"),
            (xnu.SA_SIGINFO, "SA_SIGINFO"), (xnu.SA_USERTRAMP, "SA_USERTRAMP"),
            (xnu.SA_64REGSET, "SA_64REGSET")]


@syscall(83, "setitimer")
def sys_setitimer(s, c):
    which, new_at, old_at = c.uint(0), c.size(1), c.size(2)
    c.show(which, strace.pointer(new_at), strace.pointer(old_at))
    if which > 2:
        raise Fail(xnu.E["EINVAL"])
    if not new_at:
        # xnu bsd/kern/kern_time.c: with no new value it is getitimer
        return _getitimer(s, which, old_at)
    values = struct.unpack("<qi4xqi4x", s.read(new_at, 32))
    c.show(which, f"{{it_interval={{tv_sec={values[0]}, tv_usec={values[1]}}}, "
           f"it_value={{tv_sec={values[2]}, tv_usec={values[3]}}}}}", strace.pointer(old_at))
    for sec, usec in ((values[0], values[1]), (values[2], values[3])):
        # itimerfix: seconds up to 10^8, microseconds below 10^6
        if sec < 0 or sec > 100000000 or usec < 0 or usec >= 1000000:
            raise Fail(xnu.E["EINVAL"])
    if old_at:
        s.writable(old_at, 32)
    old = ctypes.create_string_buffer(32)
    check(libc_setitimer(which, struct.pack("<4q", *values), old))
    if old_at:
        s.write(old_at, struct.pack("<qi4xqi4x", *struct.unpack("<4q", old.raw)))
    return 0


def _getitimer(s, which, old_at):
    value = ctypes.create_string_buffer(32)
    check(libc_getitimer(which, value))
    if old_at:
        s.write(old_at, struct.pack("<qi4xqi4x", *struct.unpack("<4q", value.raw)))
    return 0


@syscall(86, "getitimer")
def sys_getitimer(s, c):
    which, at = c.uint(0), c.size(1)
    c.show(which, strace.pointer(at))
    if which > 2:
        raise Fail(xnu.E["EINVAL"])
    return _getitimer(s, which, at)


@syscall(116, "gettimeofday")
def sys_gettimeofday(s, c):
    tp, tzp, mach_time_at = c.size(0), c.size(1), c.size(2)
    c.show(strace.pointer(tp), strace.pointer(tzp), strace.pointer(mach_time_at))
    # bsd/kern/kern_time.c: on arm64 the time is copied out, never returned
    # in x0/x1 (libsyscall/custom/__gettimeofday.s reads nothing back):
    # struct user64_timeval {i64 sec, cast through a u32; i32 usec; pad}.
    now = time.time_ns()
    if tp:
        sec, usec = (now // 1_000_000_000) & 0xFFFFFFFF, now // 1000 % 1_000_000
        s.write(tp, struct.pack("<qi4x", sec, usec))
    if tzp:
        # struct timezone {int minuteswest; int dsttime}: the kernel's
        # own, which launchd leaves at zero.
        s.write(tzp, struct.pack("<ii", 0, 0))
    if mach_time_at:
        # mach_absolute_time: Apple silicon ticks at 24 MHz (a timebase
        # of 125/3 ns a tick).
        s.write(mach_time_at, struct.pack("<Q", time.monotonic_ns() * 3 // 125))
    return 0


@syscall(500, "getentropy")
def sys_getentropy(s, c):
    buf, size = c.size(0), c.size(1)
    c.show(strace.pointer(buf), size)
    # bsd/dev/random/randomdev.c: at most 256 bytes a call
    if size > 256:
        raise Fail(xnu.E["EINVAL"])
    s.write(buf, os.urandom(size))
    return 0


# --- files ----------------------------------------------------------------
@syscall(3, "read")
def sys_read(s, c):
    fd, buf, n = c.int(0), c.size(1), c.size(2)
    c.show(fd, strace.pointer(buf), n)
    # bsd/kern/sys_generic.c: counts above INT_MAX are refused
    if n > INT_MAX:
        raise Fail(xnu.E["EINVAL"])
    s.writable(buf, n)
    host = ctypes.create_string_buffer(min(n, IO_CHUNK))
    got = check(libc_read(fd, host, len(host)))
    s.write(buf, host.raw[:got])
    c.show(fd, strace.quote(host.raw[:got]), n)
    return got


@syscall(4, "write")
def sys_write(s, c):
    fd, buf, n = c.int(0), c.size(1), c.size(2)
    c.show(fd, strace.pointer(buf), n)
    if n > INT_MAX:
        raise Fail(xnu.E["EINVAL"])
    data = s.read(buf, n)
    c.show(fd, strace.quote(data), n)
    return s.host_write(fd, libc_write, fd, data, n)


@syscall(153, "pread")
def sys_pread(s, c):
    fd, buf, n, offset = c.int(0), c.size(1), c.size(2), c.off(3)
    c.show(fd, strace.pointer(buf), n, offset)
    if n > INT_MAX:
        raise Fail(xnu.E["EINVAL"])
    s.writable(buf, n)
    host = ctypes.create_string_buffer(min(n, IO_CHUNK))
    got = check(libc_pread(fd, host, len(host), offset))
    s.write(buf, host.raw[:got])
    c.show(fd, strace.quote(host.raw[:got]), n, offset)
    return got


@syscall(154, "pwrite")
def sys_pwrite(s, c):
    fd, buf, n, offset = c.int(0), c.size(1), c.size(2), c.off(3)
    c.show(fd, strace.pointer(buf), n, offset)
    if n > INT_MAX:
        raise Fail(xnu.E["EINVAL"])
    data = s.read(buf, n)
    c.show(fd, strace.quote(data), n, offset)
    return s.host_write(fd, libc_pwrite, fd, data, n, offset)


def _iovecs(s, c, at, count):
    # bsd/kern/sys_generic.c: 0 < iovcnt <= UIO_MAXIOV
    if count <= 0 or count > UIO_MAXIOV:
        raise Fail(xnu.E["EINVAL"])
    return [struct.unpack("<QQ", s.read(at + 16 * i, 16)) for i in range(count)]


@syscall(121, "writev")
def sys_writev(s, c):
    fd, at, count = c.int(0), c.size(1), c.int(2)
    c.show(fd, strace.pointer(at), count)
    vecs = _iovecs(s, c, at, count)
    pieces = [s.read(base, length) for base, length in vecs]
    c.show(fd, "[" + ", ".join(f"{{iov_base={strace.quote(p)}, iov_len={len(p)}}}"
                                for p in pieces) + "]", count)
    bufs = [ctypes.create_string_buffer(p, len(p)) for p in pieces]
    host = (ctypes.c_uint64 * (2 * count))()
    for i, b in enumerate(bufs):
        host[2 * i], host[2 * i + 1] = ctypes.addressof(b), len(pieces[i])
    return s.host_write(fd, libc_writev, fd, host, count)


@syscall(120, "readv")
def sys_readv(s, c):
    fd, at, count = c.int(0), c.size(1), c.int(2)
    c.show(fd, strace.pointer(at), count)
    vecs = _iovecs(s, c, at, count)
    for base, length in vecs:
        s.writable(base, length)
    bufs = [ctypes.create_string_buffer(min(length, IO_CHUNK)) for _base, length in vecs]
    host = (ctypes.c_uint64 * (2 * count))()
    for i, b in enumerate(bufs):
        host[2 * i], host[2 * i + 1] = ctypes.addressof(b), len(b)
    got = left = check(libc_readv(fd, host, count))
    for (base, _length), b in zip(vecs, bufs):
        take = min(left, len(b))
        s.write(base, b.raw[:take])
        left -= take
    return got


def _open(s, c, dirfd, path_at, flags, mode, show_dirfd):
    def show(path):
        parts = ([strace.fd(dirfd)] if show_dirfd else []) + [path, strace.open_flags(flags)]
        if flags & xnu.O_CREAT:  # the mode matters
            parts.append(f"{mode & 0o7777:#o}")
        c.show(*parts)

    show(strace.pointer(path_at))
    host_dirfd = _at_dirfd(s, dirfd, path_at)  # open1at
    # open1 (bsd/vfs/vfs_syscalls.c), then vn_open_auth (bsd/vfs/vfs_vnops.c)
    # refuse these before the path is looked at.
    access = flags & xnu.O_ACCMODE
    if access == xnu.O_ACCMODE or (access and flags & xnu.O_EXEC):
        raise Fail(xnu.E["EINVAL"])
    if flags & xnu.O_NOFOLLOW_ANY and flags & xnu.O_NOFOLLOW:
        raise Fail(xnu.E["EINVAL"])
    if flags & xnu.O_CREAT and flags & xnu.O_DIRECTORY:
        raise Fail(xnu.E["EINVAL"])
    path = s.cstring(path_at)
    show(strace.quote(path, None))
    host_flags = access
    for bit, name, host in xnu.O_FLAGS:
        if flags & bit:
            if host is None:
                raise Fatal(f"open flag {name} is not emulated")
            if isinstance(host, int):
                host_flags |= host
    unknown = flags & ~(xnu.O_ACCMODE | sum(row[0] for row in xnu.O_FLAGS))
    if unknown and s.m.strict:
        raise Fatal(f"strict: open flags {unknown:#x} are none of XNU's O_* flags "
                    f"(bsd/sys/fcntl.h): XNU passes them on to the kernel's own F* "
                    f"flags, the emulator would drop them")
    mode &= 0o7777
    if flags & xnu.O_NOFOLLOW_ANY:
        # Darwin: no symlink anywhere in the path. Linux has openat2 with
        # RESOLVE_NO_SYMLINKS for that, and the same error, ELOOP.
        how = struct.pack("<QQQ", host_flags, mode if flags & xnu.O_CREAT else 0,
                          RESOLVE_NO_SYMLINKS)
        ret = libc_syscall(SYS_OPENAT2, host_dirfd,
                           ctypes.cast(ctypes.c_char_p(path), ctypes.c_void_p).value,
                           ctypes.cast(ctypes.c_char_p(how), ctypes.c_void_p).value, 24, 0)
    else:
        ret = libc_openat(host_dirfd, path, host_flags, mode)
    if ret == -1 and ctypes.get_errno() == errno.ENXIO and _is_socket(host_dirfd, path):
        # A UNIX-domain socket in the file system: Linux says ENXIO, XNU's
        # vn_authorize_open_existing (bsd/vfs/vfs_subr.c) "Operation not
        # supported on socket".
        raise Fail(xnu.E["EOPNOTSUPP"])
    return check(ret)


def _is_socket(host_dirfd, path):
    try:
        st = os.stat(path, dir_fd=host_dirfd)
    except OSError:
        return False
    return stat.S_ISSOCK(st.st_mode)


def _at_dirfd(s, dirfd, path_at):
    """The host descriptor for an *at call's dirfd. XNU's nameiat and
    open1at (bsd/vfs/vfs_syscalls.c) read the path's first byte, and look
    at the descriptor only for a relative path: an absolute one goes even
    with a bad descriptor."""
    if dirfd == xnu.AT_FDCWD or s.read(path_at, 1) == b"/":
        return LINUX_AT_FDCWD
    if dirfd < 0:
        raise Fail(xnu.E["EBADF"])
    return dirfd


@syscall(5, "open")
def sys_open(s, c):
    return _open(s, c, xnu.AT_FDCWD, c.size(0), c.int(1), c.int(2), show_dirfd=False)


@syscall(463, "openat")
def sys_openat(s, c):
    return _open(s, c, c.int(0), c.size(1), c.int(2), c.int(3), show_dirfd=True)


@syscall(6, "close")
def sys_close(s, c):
    fd = c.int(0)
    c.show(fd)
    check(libc_close(fd))
    s.forget_fd(fd)
    return 0


@syscall(41, "dup")
def sys_dup(s, c):
    fd = c.int(0)
    c.show(fd)
    new = check(libc_fcntl(fd, fcntl.F_DUPFD, 0))  # the lowest free fd
    s.copy_fd_state(fd, new)
    return new


@syscall(90, "dup2")
def sys_dup2(s, c):
    fd, to = c.int(0), c.int(1)
    c.show(fd, to)
    try:
        os.dup2(fd, to)
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    if fd != to:
        s.copy_fd_state(fd, to)
    return to


@syscall(42, "pipe")
def sys_pipe(s, c):
    c.show()
    try:
        r, w = os.pipe()
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    os.set_inheritable(r, True)
    os.set_inheritable(w, True)
    # Both ends come back in registers: x0 the read end, x1 the write end.
    c.result_text = f"{r} [x1={w}]"
    return r, w


@syscall(92, "fcntl")
def sys_fcntl(s, c):
    fd, cmd, arg = c.int(0), c.int(1), c.size(2)
    names = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL",
             67: "F_DUPFD_CLOEXEC"}
    c.show(fd, names.get(cmd, cmd), arg)
    if cmd in (0, 67):  # F_DUPFD, F_DUPFD_CLOEXEC (bsd/sys/fcntl.h)
        host_cmd = fcntl.F_DUPFD if cmd == 0 else fcntl.F_DUPFD_CLOEXEC
        new = check(libc_fcntl(fd, host_cmd, arg & 0xFFFFFFFF))
        s.copy_fd_state(fd, new)
        return new
    if cmd in (1, 2):  # F_GETFD/F_SETFD: FD_CLOEXEC is 1 on both
        host_cmd = fcntl.F_GETFD if cmd == 1 else fcntl.F_SETFD
        return check(libc_fcntl(fd, host_cmd, arg & 1))
    status = [(0x4, os.O_NONBLOCK), (0x8, os.O_APPEND)]
    if cmd == 3:
        host = check(libc_fcntl(fd, fcntl.F_GETFL, 0))
        darwin = host & 3
        for bit, host_bit in status:
            if host & host_bit:
                darwin |= bit
        return darwin
    if cmd == 4:  # F_SETFL
        host = 0
        for bit, host_bit in status:
            if arg & bit:
                host |= host_bit
        return check(libc_fcntl(fd, fcntl.F_SETFL, host))
    raise Fatal(f"fcntl command {cmd} is not emulated")


@syscall(199, "lseek")
def sys_lseek(s, c):
    fd, offset, whence = c.int(0), c.off(1), c.int(2)
    name, host = xnu.SEEK.get(whence, (str(whence), None))
    c.show(fd, offset, name)
    if host is None:
        raise Fail(xnu.E["EINVAL"])
    return check(libc_lseek(fd, offset, host))


def stat64(st):
    """struct stat64 (bsd/sys/stat.h, user64_stat64): 144 bytes."""
    def ts(ns):
        return ns // 1_000_000_000, ns % 1_000_000_000
    dev = (os.major(st.st_dev) << 24 | os.minor(st.st_dev)) & 0xFFFFFFFF  # makedev
    rdev = (os.major(st.st_rdev) << 24 | os.minor(st.st_rdev)) & 0xFFFFFFFF
    # Linux keeps no birth time in struct stat: the change time stands in.
    return struct.pack(
        "<IHHQIII4x8qqqiIIi2q",
        dev, st.st_mode & 0xFFFF, min(st.st_nlink, 0xFFFF), st.st_ino, st.st_uid, st.st_gid,
        rdev, *ts(st.st_atime_ns), *ts(st.st_mtime_ns), *ts(st.st_ctime_ns),
        *ts(st.st_ctime_ns), st.st_size, st.st_blocks, st.st_blksize, 0, 0, 0, 0, 0,
    )


def stat_text(st):
    return (f"{{st_mode={st.st_mode:#o}, st_size={st.st_size}, ...}}")


def _stat_out(s, c, at, do_stat):
    s.writable(at, 144)
    try:
        st = do_stat()
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    s.write(at, stat64(st))
    return st


@syscall(339, "fstat64")
def sys_fstat64(s, c):
    fd, at = c.int(0), c.size(1)
    c.show(fd, strace.pointer(at))
    st = _stat_out(s, c, at, lambda: os.fstat(fd))
    c.show(fd, stat_text(st))
    return 0


def _path_stat(s, c, follow):
    path, at = s.cstring(c.size(0)), c.size(1)
    c.show(strace.quote(path, None), strace.pointer(at))
    st = _stat_out(s, c, at, lambda: os.stat(path, follow_symlinks=follow))
    c.show(strace.quote(path, None), stat_text(st))
    return 0


@syscall(338, "stat64")
def sys_stat64(s, c):
    return _path_stat(s, c, follow=True)


@syscall(340, "lstat64")
def sys_lstat64(s, c):
    return _path_stat(s, c, follow=False)


def _check_at_flags(name, flags, known, emulated):
    """The flags of an *at call: one xnu does not know is EINVAL, checked
    before the path is looked at; one it knows that darwin-run does not
    emulate stops the run."""
    if flags & ~known:
        raise Fail(xnu.E["EINVAL"])
    if flags & ~emulated:
        raise Fatal(f"{name} flags {flags:#x} are not emulated")


@syscall(470, "fstatat64")
def sys_fstatat64(s, c):
    dirfd, path_at, at, flags = c.int(0), c.size(1), c.size(2), c.int(3)
    shown_flags = strace.flags(flags, list(xnu.AT_FLAGS.items()))
    c.show(strace.fd(dirfd), strace.pointer(path_at), strace.pointer(at), shown_flags)
    # fstatat64 checks its flags first, then fstatat_internal looks the path up
    _check_at_flags("fstatat64", flags, xnu.FSTATAT_FLAGS, xnu.AT_SYMLINK_NOFOLLOW)
    host_dirfd = _at_dirfd(s, dirfd, path_at)
    path = s.cstring(path_at)
    c.show(strace.fd(dirfd), strace.quote(path, None), strace.pointer(at), shown_flags)
    st = _stat_out(s, c, at, lambda: os.stat(
        path, dir_fd=host_dirfd, follow_symlinks=not flags & xnu.AT_SYMLINK_NOFOLLOW))
    c.show(strace.fd(dirfd), strace.quote(path, None), stat_text(st), shown_flags)
    return 0


@syscall(344, "getdirentries64")
def sys_getdirentries64(s, c):
    """Darwin's directory entries (bsd/sys/dirent.h struct direntry, via
    bsd/vfs/vfs_syscalls.c getdirentries64): d_ino u64, d_seekoff u64,
    d_reclen u16, d_namlen u16, d_type u8, d_name at 21. With bufsize >=
    1024 the last 4 bytes hold a flags word."""
    fd, buf, bufsize, pos_at = c.int(0), c.size(1), c.size(2), c.size(3)
    c.show(fd, strace.pointer(buf), bufsize, strace.pointer(pos_at))
    # getdirentries_common: fp_getfvp (bsd/kern/kern_descrip.c) wants a
    # vnode, and a pipe or a socket is none: ENOTSUP. A file (or a named
    # FIFO) is one, but no directory: EINVAL.
    try:
        mode = os.fstat(fd).st_mode
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    if stat.S_ISSOCK(mode) or (stat.S_ISFIFO(mode) and _anonymous_pipe(fd)):
        raise Fail(xnu.E["ENOTSUP"])
    if not stat.S_ISDIR(mode):
        raise Fail(xnu.E["EINVAL"])
    room = bufsize
    if bufsize >= GETDIRENTRIES64_EXTENDED_BUFSIZE:
        room -= 4
    room = min(room, GETDIRENTRIES_MAXBUFSIZE)
    s.writable(buf, bufsize)
    start = check(libc_lseek(fd, 0, os.SEEK_CUR))
    out = bytearray()
    names = []
    eof = False
    resume = None  # the cookie to go back to when an entry does not fit
    full = False
    host = ctypes.create_string_buffer(32 * 1024)
    while not full:
        got = check(libc_getdents64(fd, host, len(host)))
        if got == 0:
            eof = True
            break
        at = 0
        while at < got:
            d_ino, d_off, reclen, d_type = struct.unpack_from("<QqHB", host.raw, at)
            name = host.raw[at + 19:at + reclen].split(b"\0", 1)[0]
            # DIRENT64_LEN (bsd/vfs/vfs_syscalls.c): sizeof(struct direntry),
            # 1048 with its d_name[1024] and padding, less the 1023 bytes
            # of d_name a short name leaves unused, rounded up to 8 (HFS+
            # sizes its records the same way: EXT_DIRENT_LEN)
            size = (1048 + len(name) - 1023 + 7) & ~7
            if len(out) + size > room:
                full = True
                break
            out += struct.pack("<QQHHB", d_ino, d_off & 0xFFFFFFFFFFFFFFFF, size,
                               len(name), d_type) + name + b"\0" * (size - 21 - len(name))
            names.append(name)
            resume = d_off
            at += reclen
    if full:
        if not out:
            raise Fail(xnu.E["EINVAL"])  # not even one entry fits
        libc_lseek(fd, resume, os.SEEK_SET)
    s.write(buf, bytes(out))
    # The position goes out after the entries are read: a bad pointer
    # fails the call with the directory already moved on.
    s.write(pos_at, struct.pack("<q", start))
    if bufsize >= GETDIRENTRIES64_EXTENDED_BUFSIZE:
        s.write(buf + bufsize - 4, struct.pack("<I", GETDIRENTRIES64_EOF if eof else 0))
    c.show(fd, "[" + ", ".join(strace.quote(n, None) for n in names) + "]", bufsize,
           f"[{start}]" + (" /* EOF */" if eof else ""))
    return len(out)


def _anonymous_pipe(fd):
    """A pipe from pipe(), not a FIFO in the file system."""
    return os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:")


# --- sockets ------------------------------------------------------------------
@syscall(97, "socket")
def sys_socket(s, c):
    domain, kind, protocol = c.int(0), c.int(1), c.int(2)
    c.show(xnu.AF_NAMES.get(domain, domain), xnu.SOCK_TYPES.get(kind, kind), protocol)
    host_domain = xnu.AF_TO_HOST.get(domain)
    if host_domain is None:
        raise Fail(xnu.E["EAFNOSUPPORT"])
    if kind not in xnu.SOCK_TYPES:
        # Darwin's type has no SOCK_NONBLOCK/SOCK_CLOEXEC bits to pass on
        raise Fail(xnu.E["EPROTONOSUPPORT"])
    fd = check(libc_socket(host_domain, kind, protocol), socket_call=True)
    s.forget_fd(fd)
    return fd


@syscall(104, "bind")
def sys_bind(s, c):
    fd, at, length = c.int(0), c.size(1), c.uint(2)
    c.show(fd, strace.pointer(at), length)
    host = s.sockaddr_in(c, fd, at, length)
    return check(libc_bind(fd, host, len(host)), socket_call=True)


@syscall(98, "connect")
def sys_connect(s, c):
    fd, at, length = c.int(0), c.size(1), c.uint(2)
    c.show(fd, strace.pointer(at), length)
    host = s.sockaddr_in(c, fd, at, length)
    check(libc_connect(fd, host, len(host)), socket_call=True)
    s.connected.add(fd)
    return 0


@syscall(106, "listen")
def sys_listen(s, c):
    fd, backlog = c.int(0), c.int(1)
    c.show(fd, backlog)
    return check(libc_listen(fd, backlog), socket_call=True)


def _name_call(s, fn):
    """A host call that fills in a socket address: its result, and the
    address in Darwin layout."""
    host = ctypes.create_string_buffer(128)
    host_len = ctypes.c_uint(128)
    ret = check(fn(host, host_len), socket_call=True)
    return ret, s.sockaddr_out(host.raw[:host_len.value])


@syscall(30, "accept")
def sys_accept(s, c):
    fd, name, name_len_at = c.int(0), c.size(1), c.size(2)
    c.show(fd, strace.pointer(name), strace.pointer(name_len_at))
    # accept_nocancel reads *anamelen first, and only when name is set.
    given = s.u32(name_len_at) if name else 0

    def accept(host, host_len):
        # Darwin's accept sleeps without a timeout: it ignores SO_RCVTIMEO
        # (bsd/kern/uipc_syscalls.c, msleep(..., "accept", 0)); Linux does not.
        if fd in s.rcvtimeo:
            saved = ctypes.create_string_buffer(16)
            size = ctypes.c_uint(16)
            libc_getsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVTIMEO, saved, ctypes.byref(size))
            libc_setsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVTIMEO, bytes(16), 16)
            try:
                return libc_accept(fd, host, ctypes.byref(host_len))
            finally:
                err = ctypes.get_errno()
                libc_setsockopt(fd, socket.SOL_SOCKET, socket.SO_RCVTIMEO, saved, 16)
                ctypes.set_errno(err)
        return libc_accept(fd, host, ctypes.byref(host_len))

    new, darwin = _name_call(s, accept)
    s.forget_fd(new)
    s.connected.add(new)
    # Nor the timeouts, which Linux copies with the rest of the listener
    # (net/core/sock.c, sock_copy): sonewconn copies so_timeo, never the
    # buffers' sb_timeo, which hold SO_RCVTIMEO and SO_SNDTIMEO
    # (bsd/kern/uipc_socket2.c), so an accepted socket starts with none.
    for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):
        libc_setsockopt(new, socket.SOL_SOCKET, option, bytes(16), 16)
    # An accepted socket inherits SO_NOSIGPIPE (bsd/kern/uipc_socket2.c,
    # sonewconn) and, as on every BSD, the listener's non-blocking mode.
    if fd in s.nosigpipe:
        s.nosigpipe.add(new)
    if libc_fcntl(fd, fcntl.F_GETFL, 0) & os.O_NONBLOCK:
        libc_fcntl(new, fcntl.F_SETFL, libc_fcntl(new, fcntl.F_GETFL, 0) | os.O_NONBLOCK)
    if name:
        # The new descriptor stays even if a copy out fails; a failed copy
        # of the address leaves the truncated length (accept_nocancel).
        s.copy_out_sockaddr(c, name, name_len_at, given, darwin,
                            fault_length=min(given, len(darwin)))
    return new


def _local_or_peer_name(s, c, fn):
    """getsockname and getpeername: the socket is checked (EBADF, ENOTSOCK,
    and ENOTCONN for getpeername) before *alen is read."""
    fd, name, name_len_at = c.int(0), c.size(1), c.size(2)
    c.show(fd, strace.pointer(name), strace.pointer(name_len_at))
    _ret, darwin = _name_call(s, lambda h, n: fn(fd, h, ctypes.byref(n)))
    s.copy_out_sockaddr(c, name, name_len_at, s.u32(name_len_at), darwin)
    return 0


@syscall(32, "getsockname")
def sys_getsockname(s, c):
    return _local_or_peer_name(s, c, libc_getsockname)


@syscall(31, "getpeername")
def sys_getpeername(s, c):
    return _local_or_peer_name(s, c, libc_getpeername)


def _option(level, name):
    if level == xnu.SOL_SOCKET:
        return xnu.SOCKET_OPTIONS.get(name), "SOL_SOCKET", socket.SOL_SOCKET
    if level == xnu.IPPROTO_TCP:
        return xnu.TCP_OPTIONS.get(name), "IPPROTO_TCP", socket.IPPROTO_TCP
    return None, str(level), None


@syscall(105, "setsockopt")
def sys_setsockopt(s, c):
    fd, level, name, value_at, length = c.int(0), c.int(1), c.int(2), c.size(3), c.uint(4)
    option, level_name, host_level = _option(level, name)
    c.show(fd, level_name, option[0] if option else name, strace.pointer(value_at), length)
    if option is None:
        raise Fatal(f"setsockopt level {level:#x} option {name:#x} is not emulated")
    option_name, host_name, kind = option
    # The socket must exist: XNU checks the descriptor first.
    if socket_domain(fd) is None:
        raise Fail(xnu.darwin_errno(ctypes.get_errno()))
    if kind == "timeval":
        # sooptcopyin_timeval (bsd/kern/uipc_socket.c): a 64-bit process
        # passes struct user64_timeval {i64 sec; i32 usec}, 16 bytes.
        if length < 16:
            raise Fail(xnu.E["EINVAL"])
        sec, usec = struct.unpack("<qi", s.read(value_at, 12))
        c.show(fd, level_name, option_name, f"{{tv_sec={sec}, tv_usec={usec}}}", length)
        if sec < 0 or usec < 0 or usec >= 1000000:
            raise Fail(xnu.E["EDOM"])
        check(libc_setsockopt(fd, host_level, host_name, struct.pack("<qq", sec, usec), 16),
              socket_call=True)
        if name == xnu.SO_RCVTIMEO:
            (s.rcvtimeo.add if sec or usec else s.rcvtimeo.discard)(fd)
        return 0
    # An int: sooptcopyin wants at least 4 bytes and reads 4.
    if length < 4:
        raise Fail(xnu.E["EINVAL"])
    (value,) = struct.unpack("<i", s.read(value_at, 4))
    c.show(fd, level_name, option_name, f"[{value}]", length)
    if name == xnu.SO_NOSIGPIPE and level == xnu.SOL_SOCKET:
        (s.nosigpipe.add if value else s.nosigpipe.discard)(fd)
        return 0
    return check(libc_setsockopt(fd, host_level, host_name, struct.pack("<i", value), 4),
                 socket_call=True)


@syscall(118, "getsockopt")
def sys_getsockopt(s, c):
    fd, level, name, value_at, length_at = c.int(0), c.int(1), c.int(2), c.size(3), c.size(4)
    option, level_name, host_level = _option(level, name)
    c.show(fd, level_name, option[0] if option else name, strace.pointer(value_at),
           strace.pointer(length_at))
    if option is None:
        raise Fatal(f"getsockopt level {level:#x} option {name:#x} is not emulated")
    _option_name, host_name, kind = option
    length = s.u32(length_at)
    if socket_domain(fd) is None:
        raise Fail(xnu.darwin_errno(ctypes.get_errno()))
    if name == xnu.SO_NOSIGPIPE and level == xnu.SOL_SOCKET:
        data = struct.pack("<i", int(fd in s.nosigpipe))
    else:
        host = ctypes.create_string_buffer(16)
        host_len = ctypes.c_uint(16)
        check(libc_getsockopt(fd, host_level, host_name, host, ctypes.byref(host_len)),
              socket_call=True)
        if kind == "timeval":
            sec, usec = struct.unpack("<qq", host.raw)
            data = struct.pack("<qi4x", sec, usec)
        elif name == 0x1007:  # SO_ERROR holds an errno
            (err,) = struct.unpack_from("<i", host.raw)
            data = struct.pack("<i", xnu.darwin_errno(err, True) if err else 0)
        else:
            data = host.raw[:4]
    # sooptcopyout copies min(asked, size) bytes and says how many
    data = data[:length]
    s.write(value_at, data)
    s.write(length_at, struct.pack("<I", len(data)))
    return 0


def _msg_flags(flags):
    host = 0
    for bit, name, host_bit in xnu.MSG_FLAGS:
        if flags & bit and host_bit is not None:
            host |= host_bit
    known = sum(row[0] for row in xnu.MSG_FLAGS)
    if flags & ~known:
        raise Fatal(f"send/recv flags {flags & ~known:#x} are not emulated")
    return host


@syscall(133, "sendto")
def sys_sendto(s, c):
    fd, buf, n, flags, to, to_len = (c.int(0), c.size(1), c.size(2), c.int(3), c.size(4),
                                     c.uint(5))
    data = s.read(buf, n)
    c.show(fd, strace.quote(data), n, strace.flags(flags, xnu.MSG_FLAGS),
           strace.pointer(to), to_len)
    host_flags = _msg_flags(flags)
    addr, addr_len = None, 0
    if to:
        shown = c.shown
        addr = s.sockaddr_in(c, fd, to, to_len)
        addr_len = len(addr)
        c.shown = shown
    # MSG_NOSIGNAL: no SIGPIPE from this call (bsd/kern/uipc_syscalls.c sendit)
    return s.host_write(fd, libc_sendto, fd, data, n, host_flags, addr, addr_len,
                        nosignal=bool(flags & xnu.MSG_NOSIGNAL))


@syscall(29, "recvfrom")
def sys_recvfrom(s, c):
    fd, buf, n, flags, name, name_len_at = (c.int(0), c.size(1), c.size(2), c.int(3),
                                            c.size(4), c.size(5))
    c.show(fd, strace.pointer(buf), n, strace.flags(flags, xnu.MSG_FLAGS))
    # recvfrom_nocancel reads *fromlenaddr first (0 without it).
    given = s.u32(name_len_at) if name_len_at else 0
    s.writable(buf, n)
    host = ctypes.create_string_buffer(min(n, IO_CHUNK))
    addr = ctypes.create_string_buffer(128)
    addr_len = ctypes.c_uint(128)
    got = check(libc_recvfrom(fd, host, len(host), _msg_flags(flags), addr,
                              ctypes.byref(addr_len)), socket_call=True)
    s.write(buf, host.raw[:got])
    c.show(fd, strace.quote(host.raw[:got]), n, strace.flags(flags, xnu.MSG_FLAGS))
    if name:
        # recvit and copyout_sa: a stream socket has no source address, and
        # then, as for a length of 0, the length written back is 0.
        darwin = s.sockaddr_out(addr.raw[:addr_len.value]) if addr_len.value else b""
        if not given or not darwin:
            if name_len_at:
                s.write(name_len_at, struct.pack("<I", 0))
        else:
            # copyout_sa ignores a failed copy and leaves the length given
            s.copy_out_sockaddr(c, name, name_len_at, given, darwin, fault_length=given)
    return got


@syscall(134, "shutdown")
def sys_shutdown(s, c):
    fd, how = c.int(0), c.int(1)
    c.show(fd, {0: "SHUT_RD", 1: "SHUT_WR", 2: "SHUT_RDWR"}.get(how, how))
    return check(libc_shutdown(fd, how), socket_call=True)


@syscall(230, "poll")
def sys_poll(s, c):
    at, count, timeout = c.size(0), c.uint(1), c.int(2)
    c.show(strace.pointer(at), count, timeout)
    if count > 10240:  # OPEN_MAX, bsd/kern/sys_generic.c poll_nocancel
        raise Fail(xnu.E["EINVAL"])
    fds = [struct.unpack("<ihh", s.read(at + 8 * i, 8)) for i in range(count)]
    s.writable(at, 8 * count)

    def show(with_revents):
        items = []
        for fd, events, revents in fds:
            text = f"{{fd={fd}, events={strace.flags(events & 0xFFFF, xnu.POLL_BITS)}"
            if with_revents and revents:
                text += f", revents={strace.flags(revents & 0xFFFF, xnu.POLL_BITS)}"
            items.append(text + "}")
        return "[" + ", ".join(items) + "]"

    c.show(show(False), count, timeout)
    host = (ctypes.c_int32 * (2 * max(count, 1)))()
    for i, (fd, events, _revents) in enumerate(fds):
        host_events = 0
        for bit, _name, host_bit in xnu.POLL_BITS:
            if events & bit:
                host_events |= host_bit
        host[2 * i] = fd
        host[2 * i + 1] = host_events
    ready = check(libc_poll(host, count, timeout))
    out = b""
    for i, (fd, events, _revents) in enumerate(fds):
        host_revents = (host[2 * i + 1] >> 16) & 0xFFFF
        revents = 0
        for bit, _name, host_bit in xnu.POLL_BITS:
            if host_revents & host_bit:
                revents |= bit
        fds[i] = (fd, events, revents)
        out += struct.pack("<ihH", fd, events, revents)
    s.write(at, out)
    c.show(show(True), count, timeout)
    return ready


@syscall(337, "sendfile")
def sys_sendfile(s, c):
    """sendfile(int fd, int s, off_t offset, off_t *len, struct sf_hdtr *hdtr,
    int flags): the file first, the socket second, the offset by value and
    the length in/out; returns 0 (bsd/kern/uipc_syscalls.c sendfile)."""
    fd, sock, offset, len_at, hdtr_at, flags = (c.int(0), c.int(1), c.off(2), c.size(3),
                                               c.size(4), c.int(5))
    c.show(fd, sock, offset, strace.pointer(len_at), strace.pointer(hdtr_at), flags)
    try:
        try:
            st = os.fstat(fd)
        except OSError as e:
            raise Fail(xnu.darwin_errno(e.errno)) from None
        if not stat.S_ISREG(st.st_mode):
            raise Fail(xnu.E["ENOTSUP"])
        if libc_fcntl(fd, fcntl.F_GETFL, 0) & 3 == os.O_WRONLY:
            raise Fail(xnu.E["EBADF"])
        kind = ctypes.c_int()
        size = ctypes.c_uint(4)
        if libc_getsockopt(sock, socket.SOL_SOCKET, socket.SO_TYPE, ctypes.byref(kind),
                           ctypes.byref(size)) == -1:
            raise Fail(xnu.darwin_errno(ctypes.get_errno(), True))
        if kind.value != socket.SOCK_STREAM:
            raise Fail(xnu.E["EINVAL"])
        peer = ctypes.create_string_buffer(128)
        peer_len = ctypes.c_uint(128)
        if libc_getpeername(sock, peer, ctypes.byref(peer_len)) == -1:
            raise Fail(xnu.E["ENOTCONN"])
        if offset < 0 or flags != 0 or not len_at:
            raise Fail(xnu.E["EINVAL"])
    except Fail:
        # Every failure in xnu goes through `done:`, which copies the count
        # sent so far (0 here) out to *len whenever len is not null; a
        # failed copyout there is ignored (bsd/kern/uipc_syscalls.c).
        if len_at:
            try:
                s.write(len_at, struct.pack("<q", 0))
            except Fail:
                pass
        raise
    (wanted,) = struct.unpack("<q", s.read(len_at, 8))
    s.writable(len_at, 8)
    headers, trailers = [], []
    if hdtr_at:
        h_at, h_cnt, t_at, t_cnt = struct.unpack("<QixxxxQixxxx", s.read(hdtr_at, 32))
        headers = [s.read(b, n) for b, n in _iovecs(s, c, h_at, h_cnt)] if h_at else []
        trailers = [s.read(b, n) for b, n in _iovecs(s, c, t_at, t_cnt)] if t_at else []
    sent = 0
    error = None
    try:
        for piece in headers:
            sent += _send_all(s, sock, piece)
        # len counts the headers too; 0 means "until the end of the file"
        left = None if wanted == 0 else max(wanted - sent, 0)
        position = ctypes.c_int64(offset)
        while left is None or left > 0:
            chunk = IO_CHUNK if left is None else min(left, IO_CHUNK)
            got = libc_sendfile(sock, fd, ctypes.byref(position), chunk)
            if got == -1:
                # Darwin's sendfile returns EPIPE and raises no SIGPIPE
                raise Fail(xnu.darwin_errno(ctypes.get_errno(), True))
            if got == 0:
                break
            sent += got
            if left is not None:
                left -= got
        for piece in trailers:
            sent += _send_all(s, sock, piece)
    except Fail as failure:
        error = failure
    # The byte count goes back even when the call fails part way.
    s.write(len_at, struct.pack("<q", sent))
    c.show(fd, sock, offset, f"[{sent}]", strace.pointer(hdtr_at), flags)
    if error:
        raise error
    return 0


def _send_all(s, sock, data):
    done = 0
    while done < len(data):
        got = libc_sendto(sock, data[done:], len(data) - done, socket.MSG_NOSIGNAL, None, 0)
        if got == -1:
            raise Fail(xnu.darwin_errno(ctypes.get_errno(), True))
        done += got
    return done


# --- small path calls ---------------------------------------------------------
def _path_call(s, c, fn, *extra):
    path = s.cstring(c.size(0))
    c.show(strace.quote(path, None), *extra)
    try:
        fn(path)
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    return 0


@syscall(10, "unlink")
def sys_unlink(s, c):
    return _path_call(s, c, os.unlink)


@syscall(465, "renameat")
def sys_renameat(s, c):
    """renameat (bsd/vfs/vfs_syscalls.c): renameat_internal with no flags;
    each name is relative to its own descriptor."""
    fromfd, from_at, tofd, to_at = c.int(0), c.size(1), c.int(2), c.size(3)
    c.show(strace.fd(fromfd), strace.pointer(from_at), strace.fd(tofd), strace.pointer(to_at))
    host_from = _at_dirfd(s, fromfd, from_at)
    host_to = _at_dirfd(s, tofd, to_at)
    old, new = s.cstring(from_at), s.cstring(to_at)
    c.show(strace.fd(fromfd), strace.quote(old, None), strace.fd(tofd), strace.quote(new, None))
    try:
        os.rename(old, new, src_dir_fd=host_from, dst_dir_fd=host_to)
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    return 0


@syscall(472, "unlinkat")
def sys_unlinkat(s, c):
    """unlinkat (bsd/vfs/vfs_syscalls.c): flags it does not know are
    EINVAL before the path is looked at; AT_REMOVEDIR makes it rmdir."""
    dirfd, path_at, flags = c.int(0), c.size(1), c.int(2)
    shown_flags = strace.flags(flags, list(xnu.AT_FLAGS.items()))
    c.show(strace.fd(dirfd), strace.pointer(path_at), shown_flags)
    _check_at_flags("unlinkat", flags, xnu.UNLINKAT_FLAGS, xnu.AT_REMOVEDIR)
    host_dirfd = _at_dirfd(s, dirfd, path_at)
    path = s.cstring(path_at)
    c.show(strace.fd(dirfd), strace.quote(path, None), shown_flags)
    try:
        if flags & xnu.AT_REMOVEDIR:
            os.rmdir(path, dir_fd=host_dirfd)
        else:
            os.unlink(path, dir_fd=host_dirfd)
    except IsADirectoryError:
        # Linux says EISDIR; XNU's vn_authorize_unlink (bsd/vfs/vfs_subr.c)
        # refuses a directory with EPERM, as POSIX allows.
        raise Fail(xnu.E["EPERM"]) from None
    except OSError as e:
        raise Fail(xnu.darwin_errno(e.errno)) from None
    return 0


@syscall(12, "chdir")
def sys_chdir(s, c):
    return _path_call(s, c, os.chdir)


@syscall(136, "mkdir")
def sys_mkdir(s, c):
    mode = c.int(1) & 0o7777
    return _path_call(s, c, lambda p: os.mkdir(p, mode), f"{mode:#o}")


@syscall(137, "rmdir")
def sys_rmdir(s, c):
    return _path_call(s, c, os.rmdir)


@syscall(33, "access")
def sys_access(s, c):
    mode = c.int(1)
    if mode & ~7:
        raise Fail(xnu.E["EINVAL"])

    def access(path):
        if not os.access(path, mode):
            os.stat(path)  # the reason, if it is a missing file
            raise OSError(errno.EACCES, "access")
    return _path_call(s, c, access, mode)

