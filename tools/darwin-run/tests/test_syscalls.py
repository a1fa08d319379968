"""Known answers, one system call at a time: x0, x1 and the carry flag as
XNU leaves them, on success and on each error path."""

import os
import signal
import socket
import struct
import tempfile
import time
import unittest

from guest import build, call, data, err, ok, records, run

# Darwin syscall numbers (xnu bsd/kern/syscalls.master)
EXIT, FORK, READ, WRITE, OPEN, CLOSE, WAIT4 = 1, 2, 3, 4, 5, 6, 7
GETPID, ACCEPT, GETSOCKNAME, KILL, PIPE, SIGACTION = 20, 30, 32, 37, 42, 46
SETITIMER, SOCKET, CONNECT, BIND, SETSOCKOPT, LISTEN = 83, 97, 98, 104, 105, 106
WRITEV, SENDTO, SHUTDOWN, PREAD, LSEEK, POLL = 121, 133, 134, 153, 199, 230
SENDFILE, FSTAT64, GETDIRENTRIES64, OPENAT, FSTATAT64, GETENTROPY = 337, 339, 344, 463, 470, 500
RECVFROM, GETPEERNAME, GETTIMEOFDAY, GETSOCKOPT = 29, 31, 116, 118
RENAMEAT, UNLINKAT = 465, 472

# Darwin errno values (bsd/sys/errno.h)
EPERM = 1
ENOENT, EBADF, ECHILD, EFAULT, EINVAL, ENOTDIR, ESPIPE = 2, 9, 10, 14, 22, 20, 29
EDOM, ENOTSOCK, ENOTSUP, EADDRINUSE, ENOTCONN, ENOSYS = 33, 38, 45, 48, 57, 78
EOPNOTSUPP = 102

LOOPBACK = bytes([16, 2, 0, 0, 127, 0, 0, 1]) + bytes(8)  # Darwin sockaddr_in, port 0
EX_SOFTWARE = 70  # darwin-run stopped the run


class Write(unittest.TestCase):
    def test_success_clears_carry_and_x1(self):
        body = call(WRITE, 99, "msg", 3) + call(WRITE, 2, "msg", 3)
        out = run(build("write_ok", body, data("msg", b"hi\n")))
        self.assertEqual(out.returncode, 0)
        self.assertEqual(out.stderr, b"hi\n")
        # The failed call set the carry; the next success cleared it again.
        self.assertEqual(records(out.stdout), [err(EBADF), ok(3)])

    def test_bad_buffer_is_efault_and_big_count_einval(self):
        body = call(WRITE, 2, 8, 4) + call(WRITE, 2, "msg", 0x80000000)
        out = run(build("write_efault", body, data("msg", b"x")))
        self.assertEqual(records(out.stdout), [err(EFAULT), err(EINVAL)])

    def test_writev_gathers(self):
        iov = data("one", b"ab") + data("two", b"cd\n")
        iov += ".p2align 3\niov: .quad one, 2, two, 3\n"
        body = call(WRITEV, 2, "iov", 2) + call(WRITEV, 2, "iov", 0)
        out = run(build("writev", body, iov))
        self.assertEqual(out.stderr, b"abcd\n")
        self.assertEqual(records(out.stdout), [ok(5), err(EINVAL)])


class Read(unittest.TestCase):
    def test_reads_stdin_into_guest_memory(self):
        body = (call(READ, 0, "buf", 100) + call(WRITE, 2, "buf", 5)
                + call(READ, 0, "buf", 100) + call(READ, 0, 8, 10) + call(READ, 77, "buf", 1))
        out = run(build("read", body), stdin=b"hello")
        self.assertEqual(out.stderr, b"hello")
        self.assertEqual(records(out.stdout), [ok(5), ok(5), ok(0), err(EFAULT), err(EBADF)])

    def test_pread_and_lseek(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"0123456789")
            f.flush()
            body = (call(OPEN, "path", 0, 0, keep="x19")
                    + call(PREAD, "x19", "buf", 4, 6) + call(WRITE, 2, "buf", 4)
                    + call(LSEEK, "x19", -3, 2) + call(LSEEK, "x19", 0, 9)
                    + call(PREAD, "x19", "buf", 4, -1) + call(PIPE, keep="x20")
                    + call(LSEEK, "x20", 0, 1))
            out = run(build("pread", body, data("path", f.name)))
        self.assertEqual(out.stderr, b"6789")
        rec = records(out.stdout)
        self.assertEqual(rec[:6], [ok(3), ok(4), ok(4), ok(7), err(EINVAL), err(EINVAL)])
        self.assertEqual(rec[7], err(ESPIPE))
        # pipe returns both descriptors: read end in x0, write end in x1
        self.assertEqual(rec[6][1], rec[6][0] + 1)


class Files(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.file = os.path.join(self.dir.name, "f.txt")
        with open(self.file, "wb") as f:
            f.write(b"x" * 1234)

    def tearDown(self):
        self.dir.cleanup()

    def test_open_flags_and_at_fdcwd_are_darwin_values(self):
        O_DIRECTORY, O_CREAT, O_WRONLY = 0x100000, 0x200, 0x1
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir.name)  # for the relative path
        body = (call(OPEN, "missing", 0, 0) + call(OPEN, "file", O_DIRECTORY, 0)
                + call(OPENAT, -2, "relative", 0, 0) + call(OPENAT, -100, "relative", 0, 0)
                + call(OPENAT, -2, "made", O_CREAT | O_WRONLY, 0o600)
                + call(OPENAT, -100, "file", 0, 0))
        extra = (data("missing", self.dir.name + "/nope") + data("file", self.file)
                 + data("made", self.dir.name + "/made") + data("relative", "f.txt"))
        rec = records(run(build("open", body, extra)).stdout)
        self.assertEqual(rec[0], err(ENOENT))
        self.assertEqual(rec[1], err(ENOTDIR))  # O_DIRECTORY understood
        self.assertEqual(rec[2][2], 0)  # AT_FDCWD is -2 on Darwin...
        self.assertEqual(rec[3], err(EBADF))  # ...and Linux's -100 is a bad fd
        self.assertEqual(rec[4][2], 0)
        self.assertEqual(os.stat(self.dir.name + "/made").st_mode & 0o777, 0o600)
        # open1at (bsd/vfs/vfs_syscalls.c) ignores the descriptor for an
        # absolute path, as Linux does
        self.assertEqual(rec[5][2], 0)

    def test_renameat_and_unlinkat(self):
        # renameat replaces the target in one step; each name is relative
        # to its own descriptor. unlinkat refuses a directory with EPERM
        # (vn_authorize_unlink, bsd/vfs/vfs_subr.c), removes one with
        # AT_REMOVEDIR, and refuses a flag it does not know before it
        # looks at the path (bsd/vfs/vfs_syscalls.c, unlinkat).
        AT_REMOVEDIR, AT_SYMLINK_FOLLOW = 0x80, 0x40
        with open(os.path.join(self.dir.name, "old.txt"), "wb") as f:
            f.write(b"old")
        os.mkdir(os.path.join(self.dir.name, "sub"))
        body = (call(OPENAT, -2, "dir", 0x100000, 0, keep="x19")
                + call(RENAMEAT, "x19", "ftxt", "x19", "oldtxt")
                + call(RENAMEAT, "x19", "ftxt", "x19", "oldtxt")
                + call(UNLINKAT, "x19", "sub", 0)
                + call(UNLINKAT, "x19", "sub", AT_REMOVEDIR)
                + call(UNLINKAT, "x19", "oldtxt", AT_SYMLINK_FOLLOW)
                + call(UNLINKAT, "x19", "oldtxt", 0)
                + call(UNLINKAT, "x19", "oldtxt", 0))
        extra = (data("dir", self.dir.name) + data("ftxt", "f.txt")
                 + data("oldtxt", "old.txt") + data("sub", "sub"))
        rec = records(run(build("renameat_unlinkat", body, extra), strict=True).stdout)
        self.assertEqual(rec[1:], [ok(0), err(ENOENT), err(EPERM), ok(0), err(EINVAL),
                                   ok(0), err(ENOENT)])
        self.assertEqual(os.listdir(self.dir.name), [])

    def test_fstatat64_flags_and_descriptor(self):
        # fstatat64 takes AT_SYMLINK_NOFOLLOW, AT_REALDEV, AT_FDONLY and
        # AT_SYMLINK_NOFOLLOW_ANY; anything else is EINVAL, even AT_* flags
        # of other calls. nameiat ignores the descriptor for an absolute path.
        AT_REMOVEDIR, AT_EACCESS = 0x80, 0x10
        body = (call(FSTATAT64, -2, "file", "buf", AT_REMOVEDIR)
                + call(FSTATAT64, -2, "file", "buf", AT_EACCESS)
                + call(FSTATAT64, -100, "file", "buf", 0)
                + call(FSTATAT64, -100, "relative", "buf", 0))
        extra = data("file", self.file) + data("relative", "f.txt")
        self.addCleanup(os.chdir, os.getcwd())
        os.chdir(self.dir.name)
        rec = records(run(build("fstatat_flags", body, extra)).stdout)
        self.assertEqual(rec, [err(EINVAL), err(EINVAL), ok(0), err(EBADF)])

    def test_getdirentries64_needs_a_directory_vnode(self):
        # fp_getfvp (bsd/kern/kern_descrip.c): a pipe or a socket is no
        # vnode, ENOTSUP; a file is one, but no directory: EINVAL.
        body = (call(PIPE, keep="x19") + call(GETDIRENTRIES64, "x19", "buf", 4096, "pos")
                + call(SOCKET, 2, 1, 0, keep="x20")
                + call(GETDIRENTRIES64, "x20", "buf", 4096, "pos")
                + call(GETDIRENTRIES64, 99, "buf", 4096, "pos"))
        rec = records(run(build("getdirentries_kinds", body, ".p2align 3\npos: .quad 0\n")).stdout)
        self.assertEqual(rec[1::2], [err(ENOTSUP), err(ENOTSUP)])
        self.assertEqual(rec[-1], err(EBADF))

    def test_getdirentries64_fills_up_to_128_mib(self):
        # GETDIRENTRIES_MAXBUFSIZE is 128 MiB (bsd/vfs/vfs_syscalls.c): a
        # 1 MiB buffer takes 5000 entries of 40 bytes in one call.
        for i in range(5000):
            open(os.path.join(self.dir.name, f"{i:08}"), "w").close()
        body = (call(OPEN, "dir", 0x100000, 0, keep="x19")
                + call(GETDIRENTRIES64, "x19", "big", 1 << 20, "pos")
                + "    ADDR x9, big\n    movz x10, #0x10, lsl #16\n    add x9, x9, x10\n"
                + "    ldur w1, [x9, #-4]\n    mov x0, #0\n    REPORT\n")
        extra = (data("dir", self.dir.name) + ".p2align 3\npos: .quad 0\n"
                 + ".p2align 3\nbig: .space 1 << 20\n")
        rec = records(run(build("getdirentries_big", body, extra)).stdout)
        self.assertEqual(rec[1], ok(5000 * 40 + 3 * 32))  # ".", "..", "f.txt": 32 each
        self.assertEqual(rec[2][1], 1)  # GETDIRENTRIES64_EOF

    def test_opening_a_socket_file_is_eopnotsupp(self):
        # vn_authorize_open_existing (bsd/vfs/vfs_subr.c); Linux says ENXIO
        path = os.path.join(self.dir.name, "sock")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path)
            body = call(OPEN, "path", 0, 0) + call(OPEN, "path", 0x100000, 0)
            rec = records(run(build("open_socket", body, data("path", path))).stdout)
        self.assertEqual(rec, [err(EOPNOTSUPP), err(ENOTDIR)])  # O_DIRECTORY comes first

    def test_open_flags_xnu_refuses(self):
        """open1 and vn_open_auth (bsd/vfs/vfs_syscalls.c, vfs_vnops.c) fail
        these with EINVAL before they look at the path, on any file."""
        O_WRONLY, O_NOFOLLOW, O_CREAT, O_DIRECTORY = 0x1, 0x100, 0x200, 0x100000
        O_NOFOLLOW_ANY, O_EXEC = 0x20000000, 0x40000000
        body = (call(OPEN, "file", O_NOFOLLOW | O_NOFOLLOW_ANY, 0)
                + call(OPENAT, -2, "file", O_NOFOLLOW | O_NOFOLLOW_ANY, 0)
                + call(OPEN, "file", O_NOFOLLOW_ANY, 0)
                + call(OPEN, "made", O_CREAT | O_DIRECTORY, 0o600)
                + call(OPEN, "file", O_WRONLY | O_EXEC, 0)
                + call(OPEN, 8, O_NOFOLLOW | O_NOFOLLOW_ANY, 0))  # path never read
        extra = data("file", self.file) + data("made", self.dir.name + "/made")
        rec = records(run(build("open_einval", body, extra), strict=True).stdout)
        self.assertEqual(rec[:2], [err(EINVAL), err(EINVAL)])
        self.assertEqual(rec[2][2], 0)  # O_NOFOLLOW_ANY alone opens
        self.assertEqual(rec[3:], [err(EINVAL), err(EINVAL), err(EINVAL)])
        self.assertFalse(os.path.exists(self.dir.name + "/made"))

    def test_open_flags_not_modelled(self):
        """O_RESOLVE_BENEATH (0x1000) exists in XNU but is not emulated: the
        run stops, strict or not. 0x2000 is no O_* flag (the kernel's
        FDEFER): XNU takes the call, and so does the emulator, except in
        strict mode, where a bit it does not model is a finding."""
        O_RESOLVE_BENEATH = 0x1000
        beneath = build("open_beneath", call(OPENAT, -2, "file", O_RESOLVE_BENEATH, 0),
                        data("file", self.file))
        for strict in (False, True):
            out = run(beneath, strict=strict)
            self.assertEqual(out.returncode, EX_SOFTWARE, out)
            self.assertIn(b"O_RESOLVE_BENEATH is not emulated", out.stderr)
        unknown = build("open_unknown", call(OPEN, "file", 0x2000, 0), data("file", self.file))
        self.assertEqual(records(run(unknown).stdout)[0][2], 0)
        out = run(unknown, strict=True)
        self.assertEqual(out.returncode, EX_SOFTWARE, out)
        self.assertIn(b"0x2000", out.stderr)

    def test_fstat64_is_darwin_stat64(self):
        body = (call(OPEN, "file", 0, 0, keep="x19") + call(FSTAT64, "x19", "buf")
                + call(WRITE, 2, "buf", 144) + call(FSTAT64, 99, "buf")
                + call(FSTATAT64, -2, "file", "buf", 0) + call(FSTATAT64, -2, "file", 8, 0))
        out = run(build("fstat", body, data("file", self.file)))
        rec = records(out.stdout)
        self.assertEqual(rec[1], ok(0))
        self.assertEqual(rec[3], err(EBADF))
        self.assertEqual(rec[4], ok(0))
        self.assertEqual(rec[5], err(EFAULT))
        st = out.stderr
        self.assertEqual(len(st), 144)
        host = os.stat(self.file)
        (mode,) = struct.unpack_from("<H", st, 4)  # st_mode: u16 at 4
        (ino,) = struct.unpack_from("<Q", st, 8)
        (mtime,) = struct.unpack_from("<q", st, 48)  # st_mtimespec at 48
        (size,) = struct.unpack_from("<q", st, 96)  # st_size at 96
        self.assertEqual((mode, ino, mtime, size),
                         (host.st_mode, host.st_ino, int(host.st_mtime), 1234))

    def test_getdirentries64_layout_and_flags_word(self):
        os.mkdir(os.path.join(self.dir.name, "sub"))
        O_DIRECTORY = 0x100000
        body = (call(OPEN, "dir", O_DIRECTORY, 0, keep="x19")
                + call(GETDIRENTRIES64, "x19", "buf", 4096, "pos")
                + call(WRITE, 2, "buf", 4096)
                + call(GETDIRENTRIES64, "x19", "buf", 4096, 8)
                + call(OPEN, "file", 0, 0, keep="x20")
                + call(GETDIRENTRIES64, "x20", "buf", 4096, "pos"))
        extra = data("dir", self.dir.name) + data("file", self.file) + ".p2align 3\npos: .quad 0\n"
        out = run(build("getdirentries", body, extra))
        rec = records(out.stdout)
        got = rec[1][0]
        buf = out.stderr
        entries = {}
        at = 0
        while at < got:
            ino, _seekoff, reclen, namlen, dtype = struct.unpack_from("<QQHHB", buf, at)
            name = buf[at + 21:at + 21 + namlen]  # d_name at 21
            self.assertEqual(buf[at + 21 + namlen], 0)
            # DIRENT64_LEN (bsd/vfs/vfs_syscalls.c): sizeof(struct direntry),
            # 1048, less the 1023 bytes of d_name it does not use, to 8 bytes
            self.assertEqual(reclen, (1048 + namlen - 1023 + 7) & ~7)
            entries[name] = (ino, dtype)
            at += reclen
        self.assertEqual(at, got)
        self.assertEqual(set(entries), {b".", b"..", b"f.txt", b"sub"})
        self.assertEqual(entries[b"sub"][1], 4)  # DT_DIR
        self.assertEqual(entries[b"f.txt"], (os.stat(self.file).st_ino, 8))  # DT_REG
        # bufsize >= 1024: the last 4 bytes are the flags word, EOF set
        self.assertEqual(struct.unpack_from("<I", buf, 4092)[0], 1)
        self.assertEqual(rec[3], err(EFAULT))  # the position pointer must be valid
        self.assertEqual(rec[5], err(EINVAL))  # not a directory: EINVAL, not ENOTDIR


class Processes(unittest.TestCase):
    def test_fork_gives_the_child_its_own_pid_and_x1_1(self):
        # The child reports fork's registers and getpid, then exits 7; the
        # parent reports only after wait4, so the records come in order.
        again = "    mov x0, x19\n    mov x1, x23\n    msr nzcv, x24\n    REPORT\n"
        body = (call(FORK, keep="x19", keep1="x23", report=False) + "    mrs x24, nzcv\n"
                + "    cbz x23, 1f\n" + again + call(GETPID) + call(EXIT, 7) + "1:\n"
                + call(WAIT4, "x19", "status", 0, 0, report=False) + again
                + call(WRITE, 2, "status", 4, report=False) + call(WAIT4, -1, "status", 0, 0))
        extra = ".p2align 2\nstatus: .word 0\n"
        out = run(build("fork", body, extra))
        child_fork, child_getpid, parent_fork, parent_wait_again = records(out.stdout)
        self.assertEqual(child_fork[1:], (1, 0))  # x1 = 1 in the child, carry clear
        self.assertEqual(child_fork[0], child_getpid[0])  # x0 is its own pid, not 0
        self.assertEqual(parent_fork, ok(child_getpid[0], x1=0))
        self.assertEqual(struct.unpack("<i", out.stderr)[0], 7 << 8)  # W_EXITCODE(7, 0)
        self.assertEqual(parent_wait_again, err(ECHILD))

    def test_wait_status_carries_darwin_signal_numbers(self):
        SIGUSR1 = 30  # Linux: 10
        body = (call(FORK, keep="x19", keep1="x23") + "    cbz x23, 1f\n"
                + call(GETPID, report=False)
                + call(KILL, "x0", SIGUSR1, 1) + "1:\n"
                + call(WAIT4, "x19", "status", 0, 0, report=False) + call(WRITE, 2, "status", 4))
        out = run(build("wait_signal", body, ".p2align 2\nstatus: .word 0\n"))
        self.assertEqual(struct.unpack("<i", out.stderr)[0] & 0x7F, SIGUSR1)

    def test_an_inherited_sig_ign_for_sigchld_reaps_nothing(self):
        """P_NOCLDWAIT (no zombies) is set by sigaction alone (kern_sig.c
        setsigvec), so a SIGCHLD ignored since before the exec leaves the
        guest's children to be waited for, as with SIG_DFL. The osa says
        SIG_IGN without SA_NOCLDWAIT."""
        SIGCHLD = 20
        body = (call(SIGACTION, SIGCHLD, 0, "old") + call(WRITE, 2, "old", 16, report=False)
                + call(FORK, keep="x19", keep1="x23", report=False) + "    cbz x23, 1f\n"
                + call(EXIT, 7) + "1:\n" + call(WAIT4, "x19", "status", 0, 0)
                + call(WRITE, 2, "status", 4, report=False))
        extra = ".p2align 3\nold: .space 16\nstatus: .word 0\n"
        out = run(build("sigchld_inherited", body, extra),
                  preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN))
        handler, _mask, flags = struct.unpack_from("<QIi", out.stderr)
        self.assertEqual((handler, flags), (1, 0x2))  # SIG_IGN, SA_RESTART only
        _sigaction, waited = records(out.stdout)
        self.assertEqual(waited[1:], (0, 0))  # the child was there to wait for
        self.assertEqual(struct.unpack_from("<i", out.stderr, 16)[0], 7 << 8)

    def test_fork_does_not_pass_on_p_nocldwait(self):
        """The parent ignores SIGCHLD with sigaction, so its children are
        reaped at once. Its child inherits the SIG_IGN but not P_NOCLDWAIT
        (kern_fork.c forkproc copies p_sigacts and only a few p_flag bits):
        the grandchild stays a zombie until the child waits for it."""
        SIGCHLD = 20
        child = (call(SIGACTION, SIGCHLD, 0, "old") + call(WRITE, 2, "old", 16, report=False)
                 + call(FORK, keep="x20", keep1="x23", report=False) + "    cbz x23, 2f\n"
                 + call(EXIT, 5) + "2:\n" + call(WAIT4, "x20", "status", 0, 0)
                 + call(WRITE, 2, "status", 4, report=False) + call(EXIT, 0))
        body = (call(SIGACTION, SIGCHLD, "ignore", 0, report=False)
                + call(FORK, keep="x19", keep1="x23", report=False) + "    cbz x23, 1f\n"
                + child + "1:\n" + call(WAIT4, -1, "status", 0, 0))
        extra = (".p2align 3\nignore: .quad 1, 0\n.word 0, 0\nold: .space 16\n"
                 "status: .word 0\n")
        out = run(build("sigchld_fork", body, extra))
        handler, _mask, flags = struct.unpack_from("<QIi", out.stderr)
        # SIG_IGN, and neither SA_NOCLDWAIT nor SA_RESTART (not in sa_flags)
        self.assertEqual((handler, flags), (1, 0))
        self.assertEqual(struct.unpack_from("<i", out.stderr, 16)[0], 5 << 8)
        _sigaction, child_wait, parent_wait = records(out.stdout)
        self.assertEqual(child_wait[1:], (0, 0))
        self.assertEqual(parent_wait, err(ECHILD))  # its child was reaped at once

    def test_sigaction_reads_24_bytes_and_writes_16(self):
        SIGPIPE, SIGKILL, SIGUSR1 = 13, 9, 30
        # __sigaction: handler SIG_IGN, sa_tramp, mask (with SIGKILL's bit,
        # which the kernel drops), flags SA_SIGINFO (without SA_RESTART)
        new = ".p2align 3\nnew: .quad 1, 0xdead\n.word 0x105, 0x40\n"
        old = "old: .quad -1, -1, -1\nfresh: .quad -1, -1\n"
        body = (call(SIGACTION, SIGPIPE, "new", 0) + call(SIGACTION, SIGPIPE, 0, "old")
                + call(SIGACTION, SIGUSR1, 0, "fresh") + call(WRITE, 2, "old", 40)
                + call(SIGACTION, SIGKILL, 0, "old") + call(SIGACTION, 0, 0, 0)
                + call(SIGACTION, SIGPIPE, 8, 0))
        out = run(build("sigaction", body, new + old))
        self.assertEqual(records(out.stdout)[:3], [ok(0), ok(0), ok(0)])
        self.assertEqual(records(out.stdout)[4:], [err(EINVAL), err(EINVAL), err(EFAULT)])
        handler, mask, flags = struct.unpack_from("<QIi", out.stderr)
        self.assertEqual((handler, mask, flags), (1, 5, 0x40))
        self.assertEqual(out.stderr[16:24], b"\xff" * 8)  # the 16-byte osa, nothing more
        # never configured: SIG_DFL, and SA_RESTART since the kernel keeps
        # "interruptible" bits, all clear at first (kern_sig.c sigaction)
        self.assertEqual(struct.unpack_from("<QIi", out.stderr, 24), (0, 0, 2))

    def test_close_kill_and_getpid_error_paths(self):
        ESRCH = 3
        body = (call(CLOSE, 99) + call(GETPID, keep="x19") + call(KILL, "x19", 0, 1)
                + call(KILL, 0x7FFFFFF0, 0, 1) + call(KILL, "x19", 32, 1)
                + call(CLOSE, 0) + call(CLOSE, 0))
        rec = records(run(build("close_kill", body)).stdout)
        self.assertEqual(rec[0], err(EBADF))
        self.assertEqual(rec[1][1:], (0, 0))  # x1 = 0, carry clear
        self.assertEqual(rec[2:], [ok(0), err(ESRCH), err(EINVAL), ok(0), err(EBADF)])

    def test_getentropy_takes_at_most_256_bytes(self):
        body = call(GETENTROPY, "buf", 256) + call(GETENTROPY, "buf", 257) + call(GETENTROPY, 8, 1)
        rec = records(run(build("getentropy", body)).stdout)
        self.assertEqual(rec, [ok(0), err(EINVAL), err(EFAULT)])

    def test_setitimer_validates_darwin_timeval(self):
        # struct itimerval of user64_timeval {i64 sec; i32 usec; pad}
        bad = ".p2align 3\nbad: .quad 0\n.word 1000000, 0\n.quad 0\n.word 0, 0\n"
        good = "good: .quad 0\n.word 0, 0\n.quad 100\n.word 0, 0\n"
        body = (call(SETITIMER, 0, "bad", 0) + call(SETITIMER, 0, "good", 0)
                + call(SETITIMER, 0, "bad2", "old") + call(WRITE, 2, "old", 32) + call(SETITIMER, 3, "good", 0))
        bad2 = "bad2: .quad 0, 0, 0, 0\nold: .space 32\n"
        out = run(build("setitimer", body, bad + good + bad2))
        rec = records(out.stdout)
        self.assertEqual(rec[0], err(EINVAL))
        self.assertEqual(rec[1:3], [ok(0), ok(0)])
        sec, = struct.unpack_from("<q", out.stderr, 16)
        self.assertIn(sec, (99, 100))  # the old it_value, Darwin layout
        self.assertEqual(rec[4], err(EINVAL))


class Sockets(unittest.TestCase):
    def server_body(self):
        return (call(SOCKET, 2, 1, 0, keep="x19") + call(BIND, "x19", "addr", 16)
                + call(LISTEN, "x19", 5) + call(GETSOCKNAME, "x19", "name", "namelen")
                + call(WRITE, 2, "name", 16))

    def extra(self):
        return (".p2align 3\n" + data("addr", LOOPBACK) + "name: .space 16\n"
                + ".p2align 2\nnamelen: .word 16\n")

    def test_socket_bind_listen_getsockname_in_darwin_layout(self):
        body = self.server_body() + call(BIND, "x19", "addr", 16) + call(SOCKET, 99, 1, 0)
        out = run(build("sockets", body, self.extra()), strict=True)
        rec = records(out.stdout)
        self.assertEqual(rec[:4], [ok(rec[0][0]), ok(0), ok(0), ok(0)])
        name = out.stderr
        self.assertEqual(name[:2], bytes([16, 2]))  # sin_len, then sin_family
        self.assertNotEqual(name[2:4], b"\0\0")  # a port was chosen
        self.assertEqual(name[4:8], bytes([127, 0, 0, 1]))
        self.assertEqual(rec[5], err(EINVAL))  # already bound
        self.assertEqual(rec[6][2], 1)  # unknown domain fails

    def test_address_lengths_come_back_untruncated(self):
        """accept, getsockname and getpeername copy min(*len, sa_len) bytes
        and write sa_len back, "the actual, untruncated address length"
        (bsd/kern/uipc_syscalls.c); recvfrom writes 0 when there is no
        address, as for TCP (copyout_sa)."""
        lengths = "lens: .word 8, 0, 4, 2, 16, 16, 0\n"  # one per call below
        body = (call(SOCKET, 2, 1, 0, keep="x19") + call(BIND, "x19", "addr", 16)
                + call(LISTEN, "x19", 5) + call(GETSOCKNAME, "x19", "name", "namelen")
                + call(GETSOCKNAME, "x19", "short", "lens")
                + call(GETSOCKNAME, "x19", "untouched", "lens+4")
                + call(SOCKET, 2, 1, 0, keep="x20") + call(CONNECT, "x20", "name", 16)
                + call(ACCEPT, "x19", "short", "lens+8", keep="x21")
                + call(GETPEERNAME, "x20", "short", "lens+12")
                + call(WRITE, "x20", "addr", 1)
                + call(RECVFROM, "x21", "buf", 1, 0, "short", "lens+16")
                + call(GETSOCKNAME, "x19", 0, "lens+20")
                + call(GETSOCKNAME, "x19", 0, "lens+24")
                + call(WRITE, 2, "lens", 28) + call(WRITE, 2, "untouched", 4))
        extra = (self.extra() + "short: .space 16\n.p2align 2\n" + lengths
                 + "untouched: .word 0x55555555\n")
        out = run(build("sockaddr_lengths", body, extra), strict=True)
        rec = records(out.stdout)
        self.assertEqual(rec[4:6], [ok(0), ok(0)])
        self.assertEqual(rec[8][1:], (0, 0))  # accept
        self.assertEqual(rec[9:12], [ok(0), ok(1), ok(1)])
        self.assertEqual(rec[12:14], [err(EFAULT), ok(0)])  # no buffer for 16 bytes; for 0
        self.assertEqual(struct.unpack("<7I", out.stderr[:28]), (16, 16, 16, 16, 0, 16, 16))
        self.assertEqual(out.stderr[28:], b"\x55" * 4)  # a length of 0 copies nothing

    def test_setsockopt_translates_levels_and_timeval(self):
        SO_REUSEADDR, SO_RCVTIMEO, SO_NOSIGPIPE = 0x4, 0x1006, 0x1022
        tv = ".p2align 3\ntv: .quad 1\n.word 500000, 0\ntvbad: .quad 1\n.word 1000000, 0\none: .word 1\n"
        body = (call(SOCKET, 2, 1, 0, keep="x19")
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_REUSEADDR, "one", 4)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_RCVTIMEO, "tv", 16)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_RCVTIMEO, "tv", 8)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_RCVTIMEO, "tvbad", 16)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_NOSIGPIPE, "one", 4)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_REUSEADDR, "one", 2)
                + call(SETSOCKOPT, 1, 0xFFFF, SO_REUSEADDR, "one", 4)
                + call(SETSOCKOPT, 99, 0xFFFF, SO_REUSEADDR, "one", 4))
        rec = records(run(build("setsockopt", body, tv), strict=True).stdout)
        self.assertEqual(rec[1:], [ok(0), ok(0), err(EINVAL), err(EDOM), ok(0), err(EINVAL),
                                   err(ENOTSOCK), err(EBADF)])

    def test_accepted_socket_inherits_nodelay_but_no_timeouts(self):
        # xnu: tcp_input.c copies TF_NODELAY from the listener; sonewconn
        # (uipc_socket2.c) copies so_timeo, never so_rcv/so_snd.sb_timeo.
        SO_RCVTIMEO, SO_SNDTIMEO, TCP_NODELAY = 0x1006, 0x1005, 0x01
        body = (self.server_body()
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_RCVTIMEO, "tv", 16)
                + call(SETSOCKOPT, "x19", 0xFFFF, SO_SNDTIMEO, "tv", 16)
                + call(SETSOCKOPT, "x19", 6, TCP_NODELAY, "one", 4)
                + call(SOCKET, 2, 1, 0, keep="x20") + call(CONNECT, "x20", "name", 16)
                + call(ACCEPT, "x19", 0, 0, keep="x21")
                + call(GETSOCKOPT, "x21", 0xFFFF, SO_RCVTIMEO, "got", "gotlen")
                + call(WRITE, 2, "got", 16)
                + call(GETSOCKOPT, "x21", 0xFFFF, SO_SNDTIMEO, "got", "gotlen")
                + call(WRITE, 2, "got", 16)
                + call(GETSOCKOPT, "x21", 6, TCP_NODELAY, "got", "gotlen")
                + call(WRITE, 2, "got", 4))
        extra = (self.extra() + ".p2align 3\ntv: .quad 7\n.word 0, 0\none: .word 1\n"
                 + "got: .space 16\ngotlen: .word 16\n")
        out = run(build("inherit", body, extra), strict=True)
        self.assertEqual(out.stderr[16:48], bytes(32))  # no receive or send timeout
        self.assertNotEqual(struct.unpack("<i", out.stderr[48:52])[0], 0)  # TCP_NODELAY on

    def test_connect_accept_send_and_shutdown(self):
        MSG_NOSIGNAL = 0x80000
        body = (self.server_body()
                + call(SOCKET, 2, 1, 0, keep="x20") + call(CONNECT, "x20", "name", 16)
                + call(ACCEPT, "x19", "peer", "peerlen", keep="x21")
                + call(SENDTO, "x20", "msg", 3, MSG_NOSIGNAL, 0, 0)
                + call(READ, "x21", "buf", 10) + call(WRITE, 2, "buf", 3)
                + call(WRITE, 2, "peer", 16)
                + call(SHUTDOWN, "x20", 1) + call(READ, "x21", "buf", 10)
                + call(ACCEPT, 1, 0, 0) + call(SHUTDOWN, 0, 1))
        extra = (self.extra() + "peer: .space 16\npeerlen: .word 16\n" + data("msg", b"abc"))
        out = run(build("connect", body, extra), strict=True)
        rec = records(out.stdout)
        self.assertEqual(rec[6], ok(0))  # connect
        self.assertEqual(rec[8], ok(3))  # sendto
        self.assertEqual(rec[9], ok(3))
        self.assertEqual(out.stderr[16:19], b"abc")
        peer = out.stderr[19:35]
        self.assertEqual(peer[:2], bytes([16, 2]))
        self.assertEqual(peer[4:8], bytes([127, 0, 0, 1]))
        self.assertEqual(rec[12:], [ok(0), ok(0), err(ENOTSOCK), err(ENOTSOCK)])

    def test_sendfile_file_first_length_in_out(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"0123456789")
            f.flush()
            body = (self.server_body()
                    + call(SOCKET, 2, 1, 0, keep="x20") + call(CONNECT, "x20", "name", 16)
                    + call(ACCEPT, "x19", 0, 0, keep="x21")
                    + call(OPEN, "path", 0, 0, keep="x22")
                    + call(SENDFILE, "x22", "x21", 2, "len", 0, 0)
                    + call(WRITE, 2, "len", 8)
                    + call(READ, "x20", "buf", 100) + call(WRITE, 2, "buf", 8)
                    + call(SENDFILE, "x22", "x21", 0, 0, 0, 0)
                    + call(SENDFILE, "x21", "x22", 0, "len", 0, 0)
                    + call(WRITE, 2, "len", 8)
                    + call(SENDFILE, "x22", "x19", 0, "len", 0, 0))
            extra = self.extra() + data("path", f.name) + ".p2align 3\nlen: .quad 0\n"
            out = run(build("sendfile", body, extra), strict=True)
        rec = records(out.stdout)
        self.assertEqual(rec[9], ok(0))  # returns 0, not a count
        self.assertEqual(struct.unpack_from("<q", out.stderr, 16)[0], 8)  # *len = bytes sent
        self.assertEqual(out.stderr[24:32], b"23456789")
        self.assertEqual(rec[13:], [err(EINVAL), err(ENOTSUP), ok(8), err(ENOTCONN)])
        # A failure before anything is sent still writes *len back: 0.
        self.assertEqual(struct.unpack_from("<q", out.stderr, 32)[0], 0)

    def test_poll_reports_darwin_bits(self):
        body = (call(PIPE, keep="x19", keep1="x20")
                + "    ADDR x9, fds\n    str w20, [x9]\n"  # fds[0].fd = write end
                + call(POLL, "fds", 1, 1000) + call(WRITE, 2, "fds", 8) + call(POLL, 8, 1, 0))
        extra = ".p2align 3\nfds: .word 0\n.short 4, 0\n"  # POLLOUT
        out = run(build("poll", body, extra))
        rec = records(out.stdout)
        self.assertEqual(rec[1], ok(1))
        self.assertEqual(struct.unpack("<ihh", out.stderr)[2], 4)  # revents POLLOUT
        self.assertEqual(rec[3], err(EFAULT))

    def test_poll_on_no_descriptors_waits_for_its_timeout(self):
        # The way the stages sleep (sys::process::sleep): xnu's
        # poll_nocancel reads nothing at a null fds when nfds is 0 and
        # "respect[s] any timeout value passed"; 0 ready, carry clear.
        body = call(POLL, 0, 0, 200) + call(POLL, 0, 0, 0)
        out = run(build("poll_sleep", body), strict=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(records(out.stdout), [ok(0), ok(0)])


if __name__ == "__main__":
    unittest.main()


class Time(unittest.TestCase):
    def test_gettimeofday_copies_out_a_user64_timeval(self):
        before = int(time.time())
        body = (call(GETTIMEOFDAY, "tv", 0, 0) + call(WRITE, 2, "tv", 16)
                + call(GETTIMEOFDAY, "tv", "tz", "abs") + call(WRITE, 2, "tz", 8)
                + call(GETTIMEOFDAY, 8, 0, 0) + call(GETTIMEOFDAY, 0, 0, 0))
        extra = ".p2align 3\ntv: .space 16\ntz: .quad -1\nabs: .quad 0\n"
        out = run(build("gettimeofday", body, extra), strict=True)
        # The time is in memory, not in x0 and x1, which say 0 and 0.
        self.assertEqual(records(out.stdout), [ok(0), ok(16), ok(0), ok(8), err(EFAULT), ok(0)])
        sec, usec, pad = struct.unpack("<qii", out.stderr[:16])
        self.assertTrue(before <= sec <= int(time.time()) and 0 <= usec < 1000000 and pad == 0)
        self.assertEqual(out.stderr[16:24], bytes(8))  # struct timezone, zeroed
