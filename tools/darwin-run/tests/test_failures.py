"""The mistakes the emulator exists to catch: each one must fail here the
way it would fail on a Mac, or loudly in strict mode."""

import errno
import os
import signal
import struct
import tempfile
import unittest

from guest import LIBSYSTEM_WITH_WRITE, build, call, data, err, ok, records, run
from test_syscalls import (BIND, CLOSE, CONNECT, EXIT, FSTAT64, LISTEN, OPEN, PIPE, SENDTO,
                           SETSOCKOPT, SIGACTION, SOCKET, WRITE, ACCEPT, GETSOCKNAME)

EX_SOFTWARE = 70
SIGPIPE, SIGSYS = 13, 12  # Darwin numbers
IGNORE = ".p2align 3\nignore: .quad 1, 0\n.word 0, 0\n"  # __sigaction {SIG_IGN}


def killed_by(out, sig):
    return out.returncode == -sig


class StrictSockaddr(unittest.TestCase):
    # Linux's layout: a u16 family (02 00), so the family byte at 1 is 0.
    LINUX_LAYOUT = bytes([2, 0, 0, 0, 127, 0, 0, 1]) + bytes(8)

    def program(self):
        body = call(SOCKET, 2, 1, 0, keep="x19") + call(BIND, "x19", "addr", 16)
        return build("linux_sockaddr", body, ".p2align 3\n" + data("addr", self.LINUX_LAYOUT))

    def test_xnu_quietly_accepts_it(self):
        # getsockaddr overwrites sa_len and turns AF_UNSPEC into AF_INET.
        out = run(self.program())
        self.assertEqual(records(out.stdout)[1], ok(0))

    def test_strict_mode_fails_loudly(self):
        out = run(self.program(), strict=True)
        self.assertEqual(out.returncode, EX_SOFTWARE)
        self.assertIn(b"family byte 0 at offset 1", out.stderr)
        self.assertIn(b"Linux", out.stderr)

    def test_linux_sol_socket_is_not_darwins(self):
        # SOL_SOCKET is 1 on Linux, 0xffff on Darwin.
        body = call(SOCKET, 2, 1, 0, keep="x19") + call(SETSOCKOPT, "x19", 1, 2, "one", 4)
        out = run(build("linux_sol_socket", body, ".p2align 2\none: .word 1\n"))
        self.assertEqual(out.returncode, EX_SOFTWARE)
        self.assertIn(b"setsockopt level 0x1", out.stderr)


class StatOffsets(unittest.TestCase):
    def test_st_size_read_at_the_linux_offset_is_wrong(self):
        """A program that reads st_size at Linux's offset 48 gets Darwin's
        st_mtimespec.tv_sec instead: the size is wrong, as it would be on a
        Mac. Read at Darwin's offset 96 it is right."""
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"y" * 777)
            f.flush()
            body = (call(OPEN, "path", 0, 0, keep="x19") + call(FSTAT64, "x19", "buf")
                    + "    ADDR x9, buf\n    ldr x0, [x9, #48]\n    mov x1, #0\n    REPORT\n"
                    + "    ADDR x9, buf\n    ldr x0, [x9, #96]\n    mov x1, #0\n    REPORT\n")
            out = run(build("stat_offsets", body, data("path", f.name)))
            mtime = int(os.stat(f.name).st_mtime)
        linux_offset, darwin_offset = records(out.stdout)[2:]
        self.assertNotEqual(linux_offset[0], 777, "offset 48 must not hold the size")
        self.assertEqual(linux_offset[0], mtime, "offset 48 is st_mtimespec.tv_sec")
        self.assertEqual(darwin_offset[0], 777)


class Sigpipe(unittest.TestCase):
    def pipe_program(self, name, prologue=""):
        # write to a pipe whose read end is closed
        body = (prologue + call(PIPE, keep="x19", keep1="x20") + call(CLOSE, "x19")
                + call(WRITE, "x20", "msg", 1))
        return build(name, body, data("msg", b"x") + IGNORE)

    def test_writing_to_a_dead_pipe_kills(self):
        out = run(self.pipe_program("sigpipe_kills"))
        self.assertTrue(killed_by(out, signal.SIGPIPE), out)
        self.assertEqual(out.stderr, b"")  # silent, as on a Mac

    def test_sig_ign_turns_it_into_epipe(self):
        out = run(self.pipe_program("sigpipe_ignored", call(SIGACTION, SIGPIPE, "ignore", 0)))
        self.assertEqual(out.returncode, 0)
        self.assertEqual(records(out.stdout)[-1], err(errno.EPIPE))

    def socket_program(self, name, before_connect="", flags=None, write_on_accepted=False):
        """A connected pair on loopback: one end is closed and the other
        written until the write fails (the first writes may still succeed)."""
        writer, closed = ("x21", "x20") if write_on_accepted else ("x20", "x21")
        if flags is None:
            send = call(WRITE, writer, "msg", 1, report=False)
        else:
            send = call(SENDTO, writer, "msg", 1, flags, 0, 0, report=False)
        body = (call(SOCKET, 2, 1, 0, keep="x19") + call(BIND, "x19", "addr", 16)
                + call(LISTEN, "x19", 5) + call(GETSOCKNAME, "x19", "name", "namelen")
                + call(SOCKET, 2, 1, 0, keep="x20") + before_connect
                + call(CONNECT, "x20", "name", 16) + call(ACCEPT, "x19", 0, 0, keep="x21")
                + call(CLOSE, closed) + "2:\n" + send + "    b.cc 2b\n    REPORT\n")
        extra = (".p2align 3\n" + data("addr", bytes([16, 2, 0, 0, 127, 0, 0, 1]) + bytes(8))
                 + "name: .space 16\n.p2align 2\nnamelen: .word 16\none: .word 1\n"
                 + data("msg", b"x"))
        return build(name, body, extra)

    def assert_epipe(self, out):
        self.assertEqual(out.returncode, 0, out)
        self.assertIn(records(out.stdout)[-1], [err(errno.EPIPE), err(54)])  # or ECONNRESET

    def test_dead_socket_kills(self):
        out = run(self.socket_program("socket_sigpipe"), strict=True)
        self.assertTrue(killed_by(out, signal.SIGPIPE), out)

    def test_so_nosigpipe_turns_it_into_epipe(self):
        nosigpipe = call(SETSOCKOPT, "x20", 0xFFFF, 0x1022, "one", 4)
        self.assert_epipe(run(self.socket_program("socket_nosigpipe", nosigpipe), strict=True))

    def test_accepted_sockets_inherit_so_nosigpipe(self):
        on_listener = call(SETSOCKOPT, "x19", 0xFFFF, 0x1022, "one", 4)
        program = self.socket_program("inherit_nosigpipe", on_listener, write_on_accepted=True)
        self.assert_epipe(run(program, strict=True))

    def test_msg_nosignal_on_sendto(self):
        program = self.socket_program("sendto_nosignal", flags=0x80000)
        self.assert_epipe(run(program, strict=True))
        program = self.socket_program("sendto_signal", flags=0)
        self.assertTrue(killed_by(run(program, strict=True), signal.SIGPIPE))

    def test_unconnected_socket_is_enotconn_not_sigpipe(self):
        # Linux says EPIPE (and would raise SIGPIPE); XNU says ENOTCONN.
        body = call(SOCKET, 2, 1, 0, keep="x21") + call(SENDTO, "x21", "msg", 1, 0, 0, 0)
        out = run(build("sendto_unconnected", body, data("msg", b"x")))
        self.assertEqual(records(out.stdout)[-1], err(57))


class UnknownSyscalls(unittest.TestCase):
    def test_unknown_number_kills_with_sigsys(self):
        out = run(build("sigsys", call(600)))
        self.assertTrue(killed_by(out, signal.SIGSYS), out)
        out = run(build("sigsys_nosys", call(40)))  # an "old lstat": nosys
        self.assertTrue(killed_by(out, signal.SIGSYS), out)

    def test_ignored_sigsys_gives_enosys(self):
        body = call(SIGACTION, SIGSYS, "ignore", 0) + call(600)
        out = run(build("sigsys_ignored", body, IGNORE))
        self.assertEqual(records(out.stdout)[-1], err(78))  # ENOSYS

    def test_enosys_entries_fail_without_a_signal(self):
        out = run(build("enosys", call(8)))  # "old creat": enosys
        self.assertEqual(records(out.stdout), [err(78)])

    def test_the_table_is_xnu_11417s(self):
        """bsd/kern/syscalls.master at xnu-11417.101.15, macOS configuration:
        vfork (66) is nosys (CONFIG_VFORK is never defined); 67, 68 are the
        oslog_coproc calls, 493 grab_pgo_data (PGO is on), 535
        objc_bp_assist_cfg_np, 556 and 557 the coalition policy calls; the
        table ends at 557."""
        for number in (66, 558):
            with self.subTest(number):
                out = run(build(f"nosys_{number}", call(number)))
                self.assertTrue(killed_by(out, signal.SIGSYS), out)
        for number in (67, 68, 493, 535, 556, 557):
            with self.subTest(number):
                out = run(build(f"exists_{number}", call(number)))
                self.assertEqual(out.returncode, EX_SOFTWARE, out)
                self.assertIn(f"system call {number} exists in XNU".encode(), out.stderr)

    def test_svc_0_is_refused(self):
        body = "    mov x8, #93\n    mov x0, #0\n    svc #0\n"  # Linux's exit
        out = run(build("svc0", body))
        self.assertEqual(out.returncode, EX_SOFTWARE)
        self.assertIn(b"svc #0x0", out.stderr)

    def test_class_prefixed_number_is_refused_in_strict_mode(self):
        body = call(0x2000004, 2, "msg", 1)
        program = build("prefixed", body, data("msg", b"!"))
        self.assertEqual(run(program).stderr, b"!")  # XNU truncates x16 to 16 bits
        out = run(program, strict=True)
        self.assertEqual(out.returncode, EX_SOFTWARE)
        self.assertIn(b"0x2000004", out.stderr)

    def test_a_real_signal_handler_is_refused(self):
        handler = ".p2align 3\nhandler: .quad _main, 0\n.word 0, 0\n"
        out = run(build("handler", call(SIGACTION, 30, "handler", 0), handler))
        self.assertEqual(out.returncode, EX_SOFTWARE)
        self.assertIn(b"only SIG_DFL and SIG_IGN", out.stderr)


class Loading(unittest.TestCase):
    BODY = "    mov x0, #2\n    ADDR x1, msg\n    mov x2, #1\n    bl _write\n"
    FIXUPS = (("dyld_info", "11.0.0", ()), ("chained", "13.0.0", ("-fixup_chains",)))
    LINKED_AT = 0x100000000  # ld64's base address for arm64 executables
    # A slide as large as xnu gives (bsd/kern/mach_loader.c load_machfile:
    # 2 sections of 32 MiB and 1022 pages of 16 KiB)
    LARGEST_SLIDE = 2 * 0x2000000 + 1022 * 0x4000

    def test_the_image_loads_at_a_slide(self):
        # __mh_execute_header is the Mach-O header: where the image starts.
        body = "    ADDR x0, __mh_execute_header\n    mov x1, #0\n    REPORT\n"
        program = build("slide", body)
        (header, _x1, _carry), = records(run(program).stdout)
        slide = header - self.LINKED_AT
        self.assertNotEqual(slide, 0)
        self.assertEqual(slide % 0x4000, 0)  # whole 16 KiB pages
        for chosen in (0, 0x4000, self.LARGEST_SLIDE):
            with self.subTest(slide=chosen):
                out = run(program, slide=chosen)
                self.assertEqual(records(out.stdout), [(self.LINKED_AT + chosen, 0, 0)])

    def test_a_slide_xnu_would_not_choose_is_refused(self):
        for bad in ("0x2000", hex(self.LARGEST_SLIDE + 0x4000), "-0x4000", "many"):
            with self.subTest(bad):
                out = run(build("slide", "    REPORT\n"), slide=bad)
                self.assertEqual(out.returncode, 64, out)  # EX_USAGE
                self.assertIn(b"--slide", out.stderr)

    def test_a_page_zero_under_4_gib_is_refused(self):
        # xnu's load_machfile fails an arm64 executable whose page zero
        # does not cover the low 4 GiB (LOAD_BADMACHO), strict or not.
        program = build("small_pagezero", "    REPORT\n",
                        link_args=("-pagezero_size", "0x4000"))
        for strict in (False, True):
            with self.subTest(strict=strict):
                out = run(program, strict=strict)
                self.assertEqual(out.returncode, EX_SOFTWARE, out)
                self.assertIn(b"__PAGEZERO", out.stderr)
                self.assertIn(b"0x4000", out.stderr)

    def test_no_lc_uuid_is_refused_in_strict_mode(self):
        program = build("no_uuid", "    mov x0, #5\n    SYS 1\n")
        without_uuid(program)
        self.assertEqual(run(program).returncode, 5)
        out = run(program, strict=True)
        self.assertEqual(out.returncode, EX_SOFTWARE, out)
        self.assertIn(b"LC_UUID", out.stderr)

    def test_pointers_in_data_are_rebased(self):
        """Every pointer the linker wrote holds its target's linked address;
        dyld adds the slide to each (classic rebase opcodes, or chained
        fixups, which also carry the distance to the next fixup). The
        tables mix runs, strides and gaps so that the linker uses every
        kind of rebase opcode, in a writable and a read-only segment. The
        program counts the pointers that differ from the address adrp/add
        computes (x0) and the pointers it checked (x1)."""
        body = ("    mov x0, #0\n    mov x1, #0\n    ADDR x11, msg\n"
                + self.CHECK.format(start="table", end="table_end")
                + self.CHECK.format(start="const_table", end="const_table_end")
                + "    msr nzcv, xzr\n    REPORT\n")
        # ld64.lld encodes this with each of the nine rebase opcodes (loader.h)
        table = ("    .quad msg\n" * 40 + "    .quad msg, 0\n" * 20 + "    .space 4000\n"
                 + "    .quad msg, 0, 0, 0\n" * 3 + "    .space 64\n" + "    .quad msg\n" * 5
                 + "    .space 800\n    .quad msg\n    .space 800\n    .quad msg, msg\n")
        extra = (data("msg", b"ok\n") + ".p2align 3\ntable:\n" + table + "table_end:\n"
                 + ".section __DATA_CONST,__const\n.p2align 3\nconst_table:\n" + table
                 + "const_table_end:\n")
        for kind, min_os, link_args in self.FIXUPS:
            program = build(f"rebase_{kind}", body, extra, min_os=min_os, link_args=link_args)
            for slide in (None, 0x4000, self.LARGEST_SLIDE):
                with self.subTest(kind, slide=slide):
                    self.assertEqual(records(run(program, slide=slide).stdout), [(0, 2 * 71, 0)])

    # Walks the pointers from start to end: zeros are gaps.
    CHECK = """    ADDR x9, {start}
    ADDR x10, {end}
1:  ldr x12, [x9], #8
    cbz x12, 2f
    add x1, x1, #1
    cmp x12, x11
    cinc x0, x0, ne
2:  cmp x9, x10
    b.lo 1b
"""

    def test_indirect_syscall(self):
        # x16 = 0: the number is in x0 and the arguments move up one register
        body = ("    mov x0, #4\n    mov x1, #2\n    ADDR x2, msg\n    mov x3, #2\n"
                "    mov x16, #0\n    svc #0x80\n    REPORT\n")
        out = run(build("indirect", body, data("msg", b"hi")))
        self.assertEqual((out.stderr, records(out.stdout)), (b"hi", [ok(2)]))

    def test_a_library_call_is_named(self):
        for kind, min_os, extra in self.FIXUPS:
            with self.subTest(kind):
                program = build(f"import_{kind}", self.BODY, data("msg", b"!"),
                                libs=(LIBSYSTEM_WITH_WRITE,), min_os=min_os, link_args=extra)
                out = run(program)
                self.assertEqual(out.returncode, EX_SOFTWARE)
                self.assertIn(b"called _write (imported from /usr/lib/libSystem.B.dylib)",
                              out.stderr)


def without_uuid(path):
    """Removes the LC_UUID load command from a Mach-O (ld64.lld has no
    -no_uuid): the later commands move up, the freed bytes become padding."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
        at = 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, at)
            if cmd == 0x1B:  # LC_UUID
                end = 32 + sizeofcmds
                data[at:end] = data[at + size:end] + bytes(size)
                struct.pack_into("<II", data, 16, ncmds - 1, sizeofcmds - size)
                f.seek(0)
                f.write(data)
                return
            at += size
    raise AssertionError(f"{path} has no LC_UUID")


class Cpu(unittest.TestCase):
    def test_main_returning_exits_with_its_low_byte(self):
        out = run(build("main_returns", "    mov x0, #0x12a\n    ret\n"))
        self.assertEqual(out.returncode, 0x2A)

    def test_arguments_are_main_parameters(self):
        # argc in x0, argv in x1: report argc and the first byte of argv[1]
        body = ("    mov x19, x0\n    ldr x20, [x1, #8]\n    ldrb w1, [x20]\n"
                "    mov x0, x19\n    REPORT\n")
        out = run(build("argv", body), "Zed", "two")
        self.assertEqual(records(out.stdout), [(3, ord("Z"), 0)])

    def test_undefined_instruction_stops_with_sigill(self):
        out = run(build("udf", "    udf #0\n"))
        self.assertTrue(killed_by(out, signal.SIGILL), out)
        self.assertIn(b"undefined instruction", out.stderr)

    def test_null_dereference_faults(self):
        out = run(build("null", "    mov x9, #0\n    ldr x0, [x9]\n"))
        self.assertTrue(killed_by(out, signal.SIGSEGV), out)
        self.assertIn(b"unmapped memory at 0x0", out.stderr)

    def test_data_const_is_read_only_after_fixups(self):
        body = "    ADDR x9, ro\n    str x0, [x9]\n"
        extra = ".section __DATA_CONST,__const\n.p2align 3\nro: .quad 1\n"
        out = run(build("data_const", body, extra))
        self.assertTrue(killed_by(out, signal.SIGBUS), out)
        self.assertIn(b"write to read-only memory", out.stderr)

    def test_lse_atomics_run(self):
        body = ".arch_extension lse\n    ADDR x9, buf\n    mov x0, #5\n    ldadd x0, x1, [x9]\n    ldr x0, [x9]\n    REPORT\n"
        self.assertEqual(records(run(build("lse", body)).stdout), [(5, 0, 0)])


class Strace(unittest.TestCase):
    def test_lines_name_args_and_errors(self):
        body = call(WRITE, 2, "msg", 3) + call(WRITE, 99, "msg", 3) + call(EXIT, 3)
        out = run(build("strace", body, data("msg", b"a\nb")), strace=True)
        lines = out.stderr.decode().splitlines()
        # name(arguments), padded to column 40 as strace does, = result
        self.assertIn('write(99, "a\\nb", 3)'.ljust(39) + " = -1 EBADF (9)", lines)
        self.assertIn("exit(3)".ljust(39) + " = ?", lines)
        self.assertEqual(lines[-1], "+++ exited with 3 +++")
        self.assertEqual(out.returncode, 3)

    def test_silent_without_strace(self):
        out = run(build("quiet", call(EXIT, 0)))
        self.assertEqual(out.stderr, b"")


if __name__ == "__main__":
    unittest.main()
