"""What XNU (macOS) says, as numbers: errno values, signals, flags, options.

Every table names the xnu header it comes from (apple-oss-distributions/xnu,
tag xnu-11417.101.15 unless said otherwise). The Linux side is never written
down here: it comes from Python's own `errno`, `os`, `signal` and `socket`
modules, which carry the values of the machine the emulator runs on.
"""

import errno
import os
import signal
import socket

# --- errno: bsd/sys/errno.h -------------------------------------------------
DARWIN_ERRNO = {
    1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO",
    7: "E2BIG", 8: "ENOEXEC", 9: "EBADF", 10: "ECHILD", 11: "EDEADLK",
    12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK", 16: "EBUSY",
    17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR",
    22: "EINVAL", 23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY",
    27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE", 30: "EROFS", 31: "EMLINK",
    32: "EPIPE", 33: "EDOM", 34: "ERANGE", 35: "EAGAIN", 36: "EINPROGRESS",
    37: "EALREADY", 38: "ENOTSOCK", 39: "EDESTADDRREQ", 40: "EMSGSIZE",
    41: "EPROTOTYPE", 42: "ENOPROTOOPT", 43: "EPROTONOSUPPORT",
    44: "ESOCKTNOSUPPORT", 45: "ENOTSUP", 46: "EPFNOSUPPORT",
    47: "EAFNOSUPPORT", 48: "EADDRINUSE", 49: "EADDRNOTAVAIL", 50: "ENETDOWN",
    51: "ENETUNREACH", 52: "ENETRESET", 53: "ECONNABORTED", 54: "ECONNRESET",
    55: "ENOBUFS", 56: "EISCONN", 57: "ENOTCONN", 58: "ESHUTDOWN",
    59: "ETOOMANYREFS", 60: "ETIMEDOUT", 61: "ECONNREFUSED", 62: "ELOOP",
    63: "ENAMETOOLONG", 64: "EHOSTDOWN", 65: "EHOSTUNREACH", 66: "ENOTEMPTY",
    67: "EPROCLIM", 68: "EUSERS", 69: "EDQUOT", 70: "ESTALE", 71: "EREMOTE",
    72: "EBADRPC", 73: "ERPCMISMATCH", 74: "EPROGUNAVAIL",
    75: "EPROGMISMATCH", 76: "EPROCUNAVAIL", 77: "ENOLCK", 78: "ENOSYS",
    79: "EFTYPE", 80: "EAUTH", 81: "ENEEDAUTH", 82: "EPWROFF", 83: "EDEVERR",
    84: "EOVERFLOW", 85: "EBADEXEC", 86: "EBADARCH", 87: "ESHLIBVERS",
    88: "EBADMACHO", 89: "ECANCELED", 90: "EIDRM", 91: "ENOMSG", 92: "EILSEQ",
    93: "ENOATTR", 94: "EBADMSG", 95: "EMULTIHOP", 96: "ENODATA",
    97: "ENOLINK", 98: "ENOSR", 99: "ENOSTR", 100: "EPROTO", 101: "ETIME",
    102: "EOPNOTSUPP", 103: "ENOPOLICY", 104: "ENOTRECOVERABLE",
    105: "EOWNERDEAD", 106: "EQFULL",
}
E = {name: number for number, name in DARWIN_ERRNO.items()}
E["EWOULDBLOCK"] = E["EAGAIN"]  # errno.h: #define EWOULDBLOCK EAGAIN

# Linux errors with no Darwin twin, mapped to the nearest thing a Mac
# program can handle. Nothing here happens on loopback sockets and plain
# files; EIO is the last resort.
_LINUX_ONLY = {
    "EBADFD": "EBADF", "ENOTUNIQ": "EADDRINUSE", "ESTRPIPE": "EPIPE",
    "ENONET": "ENETDOWN", "ERFKILL": "ENETDOWN", "ENOMEDIUM": "ENODEV",
    "EMEDIUMTYPE": "ENODEV", "EKEYEXPIRED": "EPERM", "EKEYREVOKED": "EPERM",
    "EKEYREJECTED": "EPERM", "ENOKEY": "EPERM", "ECHRNG": "ERANGE",
    "ELNRNG": "ERANGE",
}


def _linux_to_darwin_table():
    table = {}
    for number, name in errno.errorcode.items():
        # Linux's EOPNOTSUPP and ENOTSUP are one number (95); sockets mean
        # EOPNOTSUPP, which callers ask for with `socket_call=True`.
        if name == "EOPNOTSUPP" or name == "ENOTSUP":
            table[number] = E["ENOTSUP"]
        elif name in E:
            table[number] = E[name]
        elif name in _LINUX_ONLY:
            table[number] = E[_LINUX_ONLY[name]]
        elif name == "EDEADLOCK":
            table[number] = E["EDEADLK"]
        elif name == "EWOULDBLOCK":
            table[number] = E["EAGAIN"]
    return table


_ERRNO_TO_DARWIN = _linux_to_darwin_table()


def darwin_errno(linux_errno, socket_call=False):
    """The Darwin errno for a Linux one (every Linux value gets one)."""
    if socket_call and linux_errno == errno.EOPNOTSUPP:
        return E["EOPNOTSUPP"]
    return _ERRNO_TO_DARWIN.get(linux_errno, E["EIO"])


# --- signals: bsd/sys/signal.h ----------------------------------------------
DARWIN_SIGNALS = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP",
    6: "SIGABRT", 7: "SIGEMT", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGBUS",
    11: "SIGSEGV", 12: "SIGSYS", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    16: "SIGURG", 17: "SIGSTOP", 18: "SIGTSTP", 19: "SIGCONT", 20: "SIGCHLD",
    21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGIO", 24: "SIGXCPU", 25: "SIGXFSZ",
    26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGINFO",
    30: "SIGUSR1", 31: "SIGUSR2",
}
SIG = {name: number for number, name in DARWIN_SIGNALS.items()}
NSIG = 32  # signal.h: __DARWIN_NSIG
SIG_DFL, SIG_IGN = 0, 1  # signal.h:131-132


def linux_signal(darwin_sig):
    """The host signal for a Darwin one, or None (SIGEMT, SIGINFO)."""
    name = DARWIN_SIGNALS.get(darwin_sig)
    return getattr(signal, name, None) if name else None


def darwin_signal(linux_sig):
    """The Darwin number of a host signal (for wait statuses)."""
    try:
        name = signal.Signals(linux_sig).name
    except ValueError:
        return linux_sig
    return SIG.get(name, linux_sig)


# sa_flags bits, signal.h
SA_ONSTACK, SA_RESTART, SA_RESETHAND, SA_NOCLDSTOP = 0x1, 0x2, 0x4, 0x8
SA_NODEFER, SA_NOCLDWAIT, SA_SIGINFO = 0x10, 0x20, 0x40
SA_USERTRAMP, SA_64REGSET = 0x100, 0x200
# The flags a process may pass; the kernel drops the rest (SA_USERSPACE_MASK)
SA_USERSPACE_MASK = (SA_ONSTACK | SA_RESTART | SA_RESETHAND | SA_NOCLDSTOP | SA_NODEFER
                     | SA_NOCLDWAIT | SA_SIGINFO | SA_USERTRAMP | SA_64REGSET)
# Signals no mask can hold: SIGKILL and SIGSTOP (kern_sig.c, sigcantmask)
SIGCANTMASK = (1 << (9 - 1)) | (1 << (17 - 1))

# --- open(2) flags: bsd/sys/fcntl.h ------------------------------------------
# Every O_* bit of xnu-11417's fcntl.h (O_SYNC and O_DSYNC come from
# sys/_types/_o_sync.h and _o_dsync.h). The other bits are kernel-internal
# F* flags; open passes them on too (FFLAGS), so strict mode refuses them.
O_ACCMODE = 0x0003
O_FLAGS = [  # (Darwin bit, name, host bit or None when not emulated)
    (0x00000004, "O_NONBLOCK", os.O_NONBLOCK),
    (0x00000008, "O_APPEND", os.O_APPEND),
    (0x00000010, "O_SHLOCK", None),
    (0x00000020, "O_EXLOCK", None),
    (0x00000040, "O_ASYNC", os.O_ASYNC),
    (0x00000080, "O_SYNC", os.O_SYNC),
    (0x00000100, "O_NOFOLLOW", os.O_NOFOLLOW),
    (0x00000200, "O_CREAT", os.O_CREAT),
    (0x00000400, "O_TRUNC", os.O_TRUNC),
    (0x00000800, "O_EXCL", os.O_EXCL),
    (0x00001000, "O_RESOLVE_BENEATH", None),
    (0x00008000, "O_EVTONLY", None),
    (0x00020000, "O_NOCTTY", os.O_NOCTTY),
    (0x00100000, "O_DIRECTORY", os.O_DIRECTORY),
    (0x00200000, "O_SYMLINK", None),
    (0x00400000, "O_DSYNC", os.O_DSYNC),
    (0x01000000, "O_CLOEXEC", os.O_CLOEXEC),
    (0x08000000, "O_CLOFORK", None),  # named only #ifdef KERNEL; open1 honours it
    (0x20000000, "O_NOFOLLOW_ANY", "openat2"),  # see syscalls.py, openat
    (0x40000000, "O_EXEC", None),
]
O_NOFOLLOW, O_CREAT, O_DIRECTORY = 0x100, 0x200, 0x100000
O_NOFOLLOW_ANY, O_EXEC = 0x20000000, 0x40000000
AT_FDCWD = -2  # fcntl.h:202
AT_SYMLINK_NOFOLLOW = 0x0020  # fcntl.h
AT_REMOVEDIR = 0x0080  # fcntl.h
# What unlinkat takes (bsd/vfs/vfs_syscalls.c, unlinkat): AT_REMOVEDIR,
# AT_REMOVEDIR_DATALESS, AT_SYMLINK_NOFOLLOW_ANY, AT_SYSTEM_DISCARDED.
UNLINKAT_FLAGS = 0x0080 | 0x0100 | 0x0800 | 0x1000
# The flags fstatat64 takes (bsd/vfs/vfs_syscalls.c); the others are EINVAL
FSTATAT_FLAGS = 0x0020 | 0x0200 | 0x0400 | 0x0800
AT_FLAGS = {0x0020: "AT_SYMLINK_NOFOLLOW", 0x0010: "AT_EACCESS",
            0x0040: "AT_SYMLINK_FOLLOW", 0x0080: "AT_REMOVEDIR",
            0x0200: "AT_REALDEV", 0x0400: "AT_FDONLY",
            0x0800: "AT_SYMLINK_NOFOLLOW_ANY"}

# --- sockets: bsd/sys/socket.h, bsd/netinet/in.h -----------------------------
AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = 0, 1, 2, 30
AF_NAMES = {0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 30: "AF_INET6"}
AF_TO_HOST = {AF_UNIX: socket.AF_UNIX, AF_INET: socket.AF_INET,
              AF_INET6: socket.AF_INET6}
SOCK_TYPES = {1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW",
              4: "SOCK_RDM", 5: "SOCK_SEQPACKET"}
SOCK_STREAM = 1
SOL_SOCKET = 0xFFFF
SOCK_MAXADDRLEN = 255  # socket.h: longest sockaddr getsockaddr() takes
IPPROTO_TCP = 6
# SOL_SOCKET options: (Darwin value, name, host value or None, kind)
SOCKET_OPTIONS = {
    0x0001: ("SO_DEBUG", socket.SO_DEBUG, "int"),
    0x0004: ("SO_REUSEADDR", socket.SO_REUSEADDR, "int"),
    0x0008: ("SO_KEEPALIVE", socket.SO_KEEPALIVE, "int"),
    0x0010: ("SO_DONTROUTE", socket.SO_DONTROUTE, "int"),
    0x0020: ("SO_BROADCAST", socket.SO_BROADCAST, "int"),
    0x0100: ("SO_OOBINLINE", socket.SO_OOBINLINE, "int"),
    0x0200: ("SO_REUSEPORT", getattr(socket, "SO_REUSEPORT", None), "int"),
    0x1001: ("SO_SNDBUF", socket.SO_SNDBUF, "int"),
    0x1002: ("SO_RCVBUF", socket.SO_RCVBUF, "int"),
    0x1003: ("SO_SNDLOWAT", socket.SO_SNDLOWAT, "int"),
    0x1004: ("SO_RCVLOWAT", socket.SO_RCVLOWAT, "int"),
    0x1005: ("SO_SNDTIMEO", socket.SO_SNDTIMEO, "timeval"),
    0x1006: ("SO_RCVTIMEO", socket.SO_RCVTIMEO, "timeval"),
    0x1007: ("SO_ERROR", socket.SO_ERROR, "int"),
    0x1008: ("SO_TYPE", socket.SO_TYPE, "int"),
    0x1022: ("SO_NOSIGPIPE", None, "int"),  # Darwin only: kept by the emulator
}
SO_NOSIGPIPE = 0x1022
SO_RCVTIMEO = 0x1006
TCP_OPTIONS = {  # bsd/netinet/tcp.h
    0x01: ("TCP_NODELAY", socket.TCP_NODELAY, "int"),
    0x10: ("TCP_KEEPALIVE", socket.TCP_KEEPIDLE, "int"),
}
# send/recv flags: (Darwin bit, name, host bit or None)
MSG_FLAGS = [
    (0x1, "MSG_OOB", socket.MSG_OOB), (0x2, "MSG_PEEK", socket.MSG_PEEK),
    (0x4, "MSG_DONTROUTE", socket.MSG_DONTROUTE),
    (0x8, "MSG_EOR", socket.MSG_EOR), (0x10, "MSG_TRUNC", socket.MSG_TRUNC),
    (0x20, "MSG_CTRUNC", socket.MSG_CTRUNC),
    (0x40, "MSG_WAITALL", socket.MSG_WAITALL),
    (0x80, "MSG_DONTWAIT", socket.MSG_DONTWAIT),
    (0x80000, "MSG_NOSIGNAL", None),  # honoured by the emulator itself
]
MSG_NOSIGNAL = 0x80000

# --- poll: bsd/sys/poll.h ----------------------------------------------------
POLL_BITS = [  # (Darwin bit, name, host bit)
    (0x0001, "POLLIN", 0x0001), (0x0002, "POLLPRI", 0x0002),
    (0x0004, "POLLOUT", 0x0004), (0x0008, "POLLERR", 0x0008),
    (0x0010, "POLLHUP", 0x0010), (0x0020, "POLLNVAL", 0x0020),
    (0x0040, "POLLRDNORM", 0x0040), (0x0080, "POLLRDBAND", 0x0080),
    (0x0100, "POLLWRBAND", 0x0200),
]

# --- wait4 options: bsd/sys/wait.h -------------------------------------------
WAIT_OPTIONS = [(0x1, "WNOHANG", os.WNOHANG), (0x2, "WUNTRACED", os.WUNTRACED),
                (0x10, "WCONTINUED", os.WCONTINUED),
                (0x20, "WNOWAIT", os.WNOWAIT)]

# --- lseek whence: bsd/sys/unistd.h (SEEK_HOLE and SEEK_DATA swap places) --
SEEK = {0: ("SEEK_SET", os.SEEK_SET), 1: ("SEEK_CUR", os.SEEK_CUR),
        2: ("SEEK_END", os.SEEK_END), 3: ("SEEK_HOLE", os.SEEK_HOLE),
        4: ("SEEK_DATA", os.SEEK_DATA)}

# --- the syscall table: bsd/kern/syscalls.master -----------------------------
# Read at tag xnu-11417.101.15 (commit e3723e1f) with the macOS arm64
# RELEASE configuration (config/MASTER, config/MASTER.arm64.MacOSX): SOCKETS,
# NETWORKING, SENDFILE, NFSSERVER, SYSV_*, PSYNCH, PGO, CONFIG_MACF,
# CONFIG_COALITIONS and the other options the file tests are on;
# CONFIG_EMBEDDED is off, and CONFIG_VFORK is defined nowhere, so vfork (66)
# is a nosys entry.
# Entries that are `nosys`: calling them raises SIGSYS (bsd/kern/subr_xxx.c,
# nosys).
NOSYS = {40, 44, 45, 62, 63, 64, 66, 69, 70, 71, 72, 76, 77, 84, 87, 88, 91,
         94, 99, 101, 102, 103, 107, 108, 109, 110, 112, 113, 114, 115, 119,
         125, 129, 130, 141, 143, 144, 145, 146, 148, 149, 150, 156, 160, 162,
         163, 164, 166, 168, 171, 172, 174, 175, 176, 193, 198, 206, 207, 208,
         209, 210, 211, 212, 213, 214, 215, 219, 224, 231, 232, 233, 246, 247,
         249, 257, 295, 321, 326, 335, 352, 355, 356, 365, 370, 371, 376, 377,
         378, 379, 435, 437, 438}
# Entries that are `enosys`: they fail with ENOSYS and raise no signal.
ENOSYS = {8, 11, 17, 19, 21, 22, 275, 276, 391, 392, 393, 495, 519}
# The last entry is 557 (sys_coalition_policy_get). Numbers past the end run
# entry 63, a nosys (bsd/dev/arm/systemcalls.c: `code >= nsysent` picks
# SYS_invalid).
NSYSENT = 558
