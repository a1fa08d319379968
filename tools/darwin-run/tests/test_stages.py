"""The workbook's own stages, built as Mach-O and as Linux ELF: under the
emulator in strict mode they must behave exactly as the native build."""

import os
import shutil
import subprocess
import unittest

from guest import DEBIAN_BIN, LLVM, REPO, run

CROSS_BUILD = os.path.join(REPO, "tools", "cross", "build")
_folders = {}


def stage(target, name):
    if target not in _folders:
        out = subprocess.run([CROSS_BUILD, target], capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"tools/cross/build {target} failed:\n{out.stderr}")
        _folders[target] = out.stdout.strip().splitlines()[-1]
    path = os.path.join(_folders[target], name)
    if not os.path.exists(path):
        raise AssertionError(f"tools/cross/build made no {name} for {target}")
    return path


def setUpModule():
    if not shutil.which(f"ld64.lld-{LLVM}") or not os.path.exists(os.path.join(DEBIAN_BIN, "cargo")):
        missing = f"the cross toolchain (Debian cargo, lld-{LLVM}) is missing"
        # A contributor without it may skip these; CI must not pass without them.
        if os.environ.get("CI"):
            raise RuntimeError(missing)
        raise unittest.SkipTest(missing)


class SameAsNative(unittest.TestCase):
    CASES = {
        "stage01_exit": [[], ["ignored", "args"]],
        "stage02_write": [[], ["hello", "world"], ["a b", "", "c"], ["\u00e9t\u00e9", "x" * 5000]],
    }

    def test_stages_match_the_native_build(self):
        for name, arg_lists in self.CASES.items():
            mac = stage("aarch64-apple-darwin", name)
            native = stage("x86_64-unknown-linux-gnu", name)
            for args in arg_lists:
                with self.subTest(stage=name, args=args[:3]):
                    emulated = run(mac, *args, strict=True)
                    real = subprocess.run([native, *args], capture_output=True)
                    self.assertEqual(
                        (emulated.returncode, emulated.stdout, emulated.stderr),
                        (real.returncode, real.stdout, real.stderr))

    def test_stage02_with_stdout_closed(self):
        mac = stage("aarch64-apple-darwin", "stage02_write")
        out = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh",
                              os.path.join(os.path.dirname(os.path.dirname(__file__)), "darwin-run"),
                              "--strict", mac, "hi"], capture_output=True)
        self.assertEqual((out.returncode, out.stderr), (1, b""))


if __name__ == "__main__":
    unittest.main()
