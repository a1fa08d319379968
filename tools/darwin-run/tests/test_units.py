"""The emulator's tables and formatting, without running a guest."""

import errno
import unittest

import guest  # noqa: F401  (puts the tool on sys.path)

from darwinrun import strace, xnu


class Errno(unittest.TestCase):
    def test_every_linux_errno_has_a_darwin_number(self):
        for number, name in errno.errorcode.items():
            with self.subTest(name):
                self.assertIn(xnu.darwin_errno(number), xnu.DARWIN_ERRNO)

    def test_the_numbers_that_differ(self):
        # abi.md §3, from xnu bsd/sys/errno.h and Linux errno-base.h/errno.h
        for name, darwin in (("EAGAIN", 35), ("ELOOP", 62), ("EADDRINUSE", 48),
                             ("ECONNRESET", 54), ("ENOSYS", 78), ("ETIMEDOUT", 60),
                             ("ENOTCONN", 57), ("ENOENT", 2), ("EPIPE", 32)):
            self.assertEqual(xnu.darwin_errno(getattr(errno, name)), darwin, name)
        self.assertEqual(xnu.darwin_errno(errno.EOPNOTSUPP, socket_call=True), 102)
        self.assertEqual(xnu.darwin_errno(errno.ENOTSUP), 45)


class Signals(unittest.TestCase):
    def test_numbers_translate_both_ways(self):
        for darwin, name in xnu.DARWIN_SIGNALS.items():
            host = xnu.linux_signal(darwin)
            if host is not None:
                self.assertEqual(xnu.darwin_signal(host), darwin, name)
        self.assertEqual(xnu.SIG["SIGCHLD"], 20)


class Quote(unittest.TestCase):
    def test_like_strace(self):
        self.assertEqual(strace.quote(b'a\n"\\\x00\x1b1'), '"a\\n\\"\\\\\\0\\0331"')
        self.assertEqual(strace.quote(b"x" * 40), '"' + "x" * 32 + '"...')


if __name__ == "__main__":
    unittest.main()
