"""Builds tiny macOS arm64 programs from assembly and runs them under
darwin-run. Shared by the test modules.

A program is a list of system calls. After each one, REPORT writes a
24-byte record to the report descriptor (stdout unless told otherwise):
x0, x1 and the carry flag, exactly as the call left them. The tests read
these records back with `records()`.
"""

import atexit
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(TOOL))
DARWIN_RUN = os.path.join(TOOL, "darwin-run")
sys.path.insert(0, TOOL)  # the darwinrun package, for tests of its tables
DARWIN_CC = os.path.join(REPO, "tools", "cross", "darwin-cc")


def _toolchain():
    """WORKBOOK_LLVM and WORKBOOK_DEBIAN_BIN as tools/cross/toolchain.sh,
    the one place that names them, sets them."""
    script = '. "$1" && printf "%s\\n%s" "$WORKBOOK_LLVM" "$WORKBOOK_DEBIAN_BIN"'
    toolchain = os.path.join(REPO, "tools", "cross", "toolchain.sh")
    out = subprocess.run(["sh", "-c", script, "sh", toolchain],
                         check=True, capture_output=True, text=True).stdout
    return out.split("\n")


LLVM, DEBIAN_BIN = _toolchain()
LIBSYSTEM_WITH_WRITE = os.path.join(HERE, "libSystem-write.tbd")

_work = tempfile.mkdtemp(prefix="darwin-run-tests-")
atexit.register(shutil.rmtree, _work, True)

PRELUDE = """
.macro SYS nr
    mov x16, #\\nr
    svc #0x80
.endm
.macro ADDR reg, label
    adrp \\reg, \\label@PAGE
    add \\reg, \\reg, \\label@PAGEOFF
.endm
// x0, x1 and the carry flag, as 24 bytes on the report descriptor
.macro REPORT
    cset x9, cs
    ADDR x10, record
    stp x0, x1, [x10]
    str x9, [x10, #16]
    mov x0, #{report_fd}
    mov x1, x10
    mov x2, #24
    mov x16, #4
    svc #0x80
.endm
.text
.globl _main
.p2align 2
_main:
"""

EPILOGUE = """
    mov x0, #0
    SYS 1
.data
.p2align 4
record: .space 24
buf: .space 4096
"""


def load(reg, value):
    """Instructions putting an int, a label's address or a register in reg."""
    if isinstance(value, str):
        if value.startswith("x") and value[1:].isdigit():
            return [f"mov {reg}, {value}"]
        if value.startswith("sp"):
            return [f"mov {reg}, sp"]
        return [f"ADDR {reg}, {value}"]
    value &= 0xFFFFFFFFFFFFFFFF
    lines = [f"movz {reg}, #{value & 0xFFFF}"]
    for shift in (16, 32, 48):
        part = (value >> shift) & 0xFFFF
        if part:
            lines.append(f"movk {reg}, #{part}, lsl #{shift}")
    return lines


def call(number, *args, keep=None, keep1=None, report=True):
    """One system call with its arguments; keep=xN saves x0 in xN and
    keep1=xN saves x1 (REPORT overwrites both)."""
    lines = []
    for i, arg in enumerate(args):
        lines += load(f"x{i}", arg)
    lines += load("x16", number) + ["svc #0x80"]
    if keep:
        lines.append(f"mov {keep}, x0")
    if keep1:
        lines.append(f"mov {keep1}, x1")
    if report:
        lines.append("REPORT")
    return "\n".join("    " + line for line in lines) + "\n"


def data(label, content):
    """A NUL-terminated string or raw bytes in the data section."""
    if isinstance(content, str):
        content = content.encode() + b"\0"
    return f"{label}: .byte {', '.join(str(b) for b in content)}\n" if content else f"{label}:\n"


def build(name, body, extra_data="", report_fd=1, libs=("-lSystem",), min_os="11.0.0",
          link_args=()):
    """Assembles and links a program; returns the Mach-O's path."""
    source = PRELUDE.format(report_fd=report_fd) + body + EPILOGUE + extra_data
    base = os.path.join(_work, name)
    with open(base + ".s", "w") as f:
        f.write(source)
    subprocess.run([f"llvm-mc-{LLVM}", "-triple", "arm64-apple-macos11", "-filetype=obj",
                    "-o", base + ".o", base + ".s"], check=True)
    subprocess.run([DARWIN_CC, "-arch", "arm64", f"-mmacosx-version-min={min_os}",
                    *libs, *link_args, "-o", base, base + ".o"], check=True)
    return base


def run(binary, *args, strict=False, strace=False, slide=None, stdin=b"", pass_fds=(),
        preexec_fn=None, timeout=60):
    """Runs a program under darwin-run; preexec_fn runs in the new process
    before the exec, to set what the guest inherits."""
    command = [DARWIN_RUN] + (["--strict"] if strict else []) + (["--strace"] if strace else [])
    if slide is not None:
        command.append(f"--slide={slide:#x}" if isinstance(slide, int) else f"--slide={slide}")
    return subprocess.run(command + [binary, *args], input=stdin, capture_output=True,
                          timeout=timeout, pass_fds=pass_fds, preexec_fn=preexec_fn)


def records(stdout):
    """[(x0, x1, carry)] from the REPORT records."""
    assert len(stdout) % 24 == 0, f"stdout is not whole records: {stdout!r}"
    return list(struct.iter_unpack("<QQQ", stdout))


def ok(value, x1=0):
    return (value & 0xFFFFFFFFFFFFFFFF, x1, 0)


def err(errno_value):
    return (errno_value, 0, 1)
