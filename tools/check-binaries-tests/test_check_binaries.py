"""Every check in tools/check-binaries, proven on a broken binary.

    python3 -m unittest discover -s tools/check-binaries-tests

Each test copies a real stage binary to a temporary folder, gives the copy
exactly one defect, and asserts that the check made for that defect fails
and no other does; the untouched binaries must pass. A Mach-O copy whose
defect is not in its signature is signed again afterwards (resign below,
what the linker does), so that only the defect itself is wrong.

The binaries come from WORKBOOK_CROSS_DIR, a folder laid out like
target/cross (TARGET/PROFILE/stageNN_*), or else from tools/cross/build,
which builds whatever is out of date and does nothing otherwise.
"""

import functools
import hashlib
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest
from importlib.machinery import SourceFileLoader
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "check-binaries"

# tools/check-binaries has no .py suffix, so import it by its path.
_loader = SourceFileLoader("check_binaries", str(SCRIPT))
cb = importlib.util.module_from_spec(importlib.util.spec_from_loader("check_binaries", _loader))
_loader.exec_module(cb)

MACHO = "aarch64-apple-darwin"
ARM_LINUX = "aarch64-unknown-linux-gnu"
X86_LINUX = "x86_64-unknown-linux-gnu"
TARGETS = (MACHO, ARM_LINUX, X86_LINUX)
STAGES = [f"stage0{i}_{n}" for i, n in enumerate(
    ["exit", "write", "socket", "accept", "parse", "respond", "files"], start=1)]

# The endless loops the `calls` check looks for, as machine code.
ARM64_B_SELF = struct.pack("<I", 0x14000000)  # b . (imm26 = 0)
X86_JMP_SELF = b"\xeb\xfe"  # jmp . (rel8 = -2)
X86_NOP = b"\x90"
# include/uapi/linux/elf.h
PT_GNU_STACK, SHT_SYMTAB, SHN_UNDEF = 0x6474E551, 2, 0


def arm64_b(at, to):
    """`b to`, placed at `at`: opcode 0b000101, imm26 = (to - at) / 4."""
    return struct.pack("<I", 0x14000000 | ((to - at) >> 2) & 0x3FFFFFF)


@functools.cache
def folder(target, profile):
    """The folder holding the stage binaries for target and profile."""
    if "WORKBOOK_CROSS_DIR" in os.environ:
        return Path(os.environ["WORKBOOK_CROSS_DIR"]) / target / profile
    build = subprocess.run([REPO / "tools" / "cross" / "build", target, profile],
                           capture_output=True, text=True)
    if build.returncode != 0:
        raise RuntimeError(f"tools/cross/build {target} {profile} failed:\n{build.stderr}")
    return Path(build.stdout.splitlines()[-1])


def check(target, path):
    return cb.TARGETS[target](path)


def failed_checks(problems):
    """{'signature', 'calls', ...}: each problem starts with its check's name."""
    return {problem.split(":")[0] for problem in problems}


# ---- Mach-O editing: load commands, segments, the signature ----

def macho_commands(data):
    """[(offset in the file, cmd, cmdsize)] of every load command."""
    ncmds = struct.unpack_from("<I", data, 16)[0]
    found, offset = [], cb.MACH_HEADER_64.size
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, offset)
        found.append((offset, cmd, size))
        offset += size
    return found


def macho_command(data, cmd):
    """The file offset of the one load command `cmd`."""
    [offset] = [o for o, c, _ in macho_commands(data) if c == cmd]
    return offset


def remove_command(data, cmd):
    """Takes load command `cmd` out: the ones after it move up, the header's
    ncmds and sizeofcmds shrink, and zeros fill the space it leaves."""
    commands = macho_commands(data)
    [(offset, size)] = [(o, s) for o, c, s in commands if c == cmd]
    end = commands[-1][0] + commands[-1][2]
    data[offset:end] = data[offset + size : end] + bytes(size)
    ncmds, sizeofcmds = struct.unpack_from("<II", data, 16)
    struct.pack_into("<II", data, 16, ncmds - 1, sizeofcmds - size)


def macho_segments(data):
    """{segname: (command offset, vmaddr, vmsize, fileoff)}."""
    found = {}
    for offset, cmd, _ in macho_commands(data):
        if cmd == cb.LC_SEGMENT_64:
            name, vmaddr, vmsize, fileoff = struct.unpack_from("<16sQQQ", data, offset + 8)
            found[name.rstrip(b"\0").decode()] = (offset, vmaddr, vmsize, fileoff)
    return found


def macho_file_offset(data, address):
    for _, vmaddr, vmsize, fileoff in macho_segments(data).values():
        if vmaddr <= address < vmaddr + vmsize:
            return fileoff + address - vmaddr
    raise ValueError(f"{address:#x} is in no segment")


def macho_section(data, segname, sectname):
    """(file offset, size) of a section, from the section_64 entries that
    follow their segment_command_64 (EXTERNAL_HEADERS/mach-o/loader.h)."""
    offset = macho_segments(data)[segname][0]
    nsects = struct.unpack_from("<I", data, offset + 64)[0]
    for i in range(nsects):
        entry = offset + 72 + 80 * i
        name, _, _, size, fileoff = struct.unpack_from("<16s16sQQI", data, entry)
        if name.rstrip(b"\0").decode() == sectname:
            return fileoff, size
    raise ValueError(f"no section {segname},{sectname}")


def code_directory(data):
    """(dataoff of the signature, file offset of its CodeDirectory)."""
    dataoff = struct.unpack_from("<I", data, macho_command(data, cb.LC_CODE_SIGNATURE) + 8)[0]
    count = struct.unpack_from(">I", data, dataoff + 8)[0]
    for i in range(count):
        kind, offset = struct.unpack_from(">II", data, dataoff + 12 + 8 * i)
        if kind == cb.CSSLOT_CODEDIRECTORY:
            return dataoff, dataoff + offset
    raise ValueError("no CodeDirectory")


def cd_field(name):
    """The offset of a CodeDirectory field and its struct format letter."""
    index = cb.CodeDirectory._fields.index(name)
    return (4 * index, ">I") if index < 9 else (36 + index - 9, ">B")


def set_cd_field(data, name, value):
    offset, form = cd_field(name)
    struct.pack_into(form, data, code_directory(data)[1] + offset, value)


def get_cd_field(data, name):
    offset, form = cd_field(name)
    return struct.unpack_from(form, data, code_directory(data)[1] + offset)[0]


def resign(data):
    """Recomputes every code slot of the ad hoc signature, as the linker
    computed them: SHA-256 of each page of the file below codeLimit."""
    _, cd = code_directory(data)
    cd_header = cb.CodeDirectory._make(cb.CODE_DIRECTORY.unpack_from(data, cd))
    page = 1 << cd_header.pageSize
    for i in range(cd_header.nCodeSlots):
        digest = hashlib.sha256(data[i * page : min((i + 1) * page, cd_header.codeLimit)]).digest()
        slot = cd + cd_header.hashOffset + i * cd_header.hashSize
        data[slot : slot + cd_header.hashSize] = digest


# ---- ELF editing ----

def elf_file_offset(data, address):
    offset = cb.elf_file_offset(bytes(data), address)
    if offset is None:
        raise ValueError(f"{address:#x} is in no PT_LOAD segment")
    return offset


def elf_program_header(data, p_type):
    """The file offset of the one program header of type p_type."""
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize = struct.unpack_from("<H", data, 54)[0]
    [index] = [i for i, (kind, _, _, _) in enumerate(cb.elf_segments(data)) if kind == p_type]
    return phoff + index * phentsize


def elf_global_symbols(data):
    """File offsets of the Elf64_Sym entries of the global symbols in
    .symtab (include/uapi/linux/elf.h: Elf64_Shdr, Elf64_Sym)."""
    shoff = struct.unpack_from("<Q", data, 40)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 58)
    for i in range(shnum):
        header = shoff + i * shentsize
        _, kind, _, _, offset, size, _, first_global = struct.unpack_from("<IIQQQQII", data, header)
        if kind == SHT_SYMTAB:
            return list(range(offset + 24 * first_global, offset + size, 24))
    raise ValueError("no .symtab")


# ---- instructions, from the checker's own reading of the disassembly ----

def code(path, pointer_at=lambda address: None):
    return cb.instructions(cb.disassemble(path), pointer_at)


def first_call_target(path, arch, pointer_at=lambda address: None):
    return next(target for _, (mnemonic, target) in sorted(code(path, pointer_at).items())
                if mnemonic in cb.CALLS[arch] and target is not None)


def first(path, mnemonic):
    """The address of the first instruction `mnemonic`, e.g. svc."""
    for line in cb.disassemble(path).splitlines():
        m = re.match(rf"\s*([0-9a-f]+):\s+{mnemonic}\b", line)
        if m:
            return int(m.group(1), 16)
    raise ValueError(f"no {mnemonic} in {path}")


class BrokenCopy(unittest.TestCase):
    """A temporary folder to break copies of binaries in."""

    def setUp(self):
        self.work = Path(tempfile.mkdtemp(prefix="check-binaries-tests-"))
        self.addCleanup(shutil.rmtree, self.work, True)

    def copy(self, target, profile, stage):
        path = self.work / f"{target}-{profile}" / stage
        path.parent.mkdir(exist_ok=True)
        shutil.copyfile(folder(target, profile) / stage, path)
        return path, bytearray(path.read_bytes())

    def assertOnlyFails(self, target, path, data, expected, *details):
        """Writes data to path, checks it: only check `expected` fails, with
        problems mentioning every one of details."""
        path.write_bytes(data)
        problems = check(target, path)
        self.assertEqual(failed_checks(problems), {expected}, problems)
        for detail in details:
            self.assertTrue(any(detail in problem for problem in problems), (detail, problems))
        return problems


class TheBinariesAsBuilt(unittest.TestCase):
    """The current stages pass, on every target and in both profiles, run
    the way .ci/run runs the script."""

    def test_every_folder_passes(self):
        for target in TARGETS:
            for profile in ("debug", "release"):
                with self.subTest(target=target, profile=profile):
                    out = subprocess.run([SCRIPT, target, folder(target, profile)],
                                         capture_output=True, text=True)
                    self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                    self.assertEqual(out.stdout.splitlines(),
                                     [f"ok   {target} {stage}" for stage in STAGES])

    def test_resign_reproduces_the_linkers_hashes(self):
        # The tests' own signer agrees with the linker's (and with what
        # llvm-objcopy wrote when it stripped the release build).
        for profile in ("debug", "release"):
            for stage in STAGES:
                original = (folder(MACHO, profile) / stage).read_bytes()
                again = bytearray(original)
                resign(again)
                self.assertEqual(bytes(again), original, (profile, stage))


class MachO(BrokenCopy):
    PROFILE, STAGE = "release", "stage07_files"

    def setUp(self):
        super().setUp()
        self.path, self.data = self.copy(MACHO, self.PROFILE, self.STAGE)

    def assertOnly(self, expected, *details, sign=True):
        if sign:
            resign(self.data)
        return self.assertOnlyFails(MACHO, self.path, self.data, expected, *details)

    def test_the_untouched_copy_passes(self):
        self.assertEqual(check(MACHO, self.path), [])

    # -- signature --

    def test_a_byte_flipped_in_text(self):
        offset, size = macho_section(self.data, "__TEXT", "__const")
        flip = offset + size // 2
        self.data[flip] ^= 0xFF
        page = flip // 4096
        self.assertOnly("signature", f"page {page} at {page * 4096:#x}", sign=False)

    def test_a_byte_flipped_in_the_last_partial_page(self):
        dataoff, _ = code_directory(self.data)
        self.assertNotEqual(dataoff % 4096, 0, "the last page should be partial")
        self.data[dataoff - 1] ^= 0xFF
        page = (dataoff - 1) // 4096
        self.assertOnly("signature", f"1 of {page + 1} pages", f"page {page} at", sign=False)

    def test_code_limit_past_the_signature_start(self):
        dataoff, _ = code_directory(self.data)
        set_cd_field(self.data, "codeLimit", dataoff + 16)
        self.assertOnly("signature", f"codeLimit {dataoff + 16}, but the signature starts at",
                        sign=False)

    def test_one_code_slot_too_few(self):
        slots = get_cd_field(self.data, "nCodeSlots")
        set_cd_field(self.data, "nCodeSlots", slots - 1)
        self.assertOnly("signature", f"nCodeSlots {slots - 1}", f"spans {slots} pages", sign=False)

    def test_code_slots_past_the_code_directory(self):
        slots = get_cd_field(self.data, "nCodeSlots")
        set_cd_field(self.data, "nCodeSlots", slots + 1)
        self.assertOnly("signature", "run past the CodeDirectory", sign=False)

    def test_not_ad_hoc(self):
        set_cd_field(self.data, "flags", get_cd_field(self.data, "flags") & ~cb.CS_ADHOC)
        self.assertOnly("signature", "not ad hoc", sign=False)

    def test_sha1_hashes(self):
        set_cd_field(self.data, "hashType", 1)  # CS_HASHTYPE_SHA1
        self.assertOnly("signature", "hashType 1", sign=False)

    def test_a_page_size_the_kernel_refuses(self):
        set_cd_field(self.data, "pageSize", 13)
        self.assertOnly("signature", "pageSize 2^13", sign=False)

    def test_no_signature(self):
        remove_command(self.data, cb.LC_CODE_SIGNATURE)
        self.assertOnly("signature", "0 LC_CODE_SIGNATURE", sign=False)

    # -- load commands --

    def test_pagezero_too_small(self):
        offset = macho_segments(self.data)["__PAGEZERO"][0]
        struct.pack_into("<Q", self.data, offset + 32, 0x1000)  # vmsize
        self.assertOnly("__PAGEZERO", "vmsize 0x1000")

    def test_pagezero_readable(self):
        offset = macho_segments(self.data)["__PAGEZERO"][0]
        struct.pack_into("<ii", self.data, offset + 56, 1, 1)  # maxprot, initprot: VM_PROT_READ
        self.assertOnly("__PAGEZERO", "maxprot 1 initprot 1")

    def test_no_pagezero(self):
        offset = macho_segments(self.data)["__PAGEZERO"][0]
        self.data[offset + 8 : offset + 24] = b"__ZERO".ljust(16, b"\0")
        self.assertOnly("__PAGEZERO", "missing")

    def test_no_uuid(self):
        remove_command(self.data, cb.LC_UUID)
        self.assertOnly("LC_UUID", "missing")

    def test_platform_ios(self):
        platform = macho_command(self.data, cb.LC_BUILD_VERSION) + 8
        struct.pack_into("<I", self.data, platform, 2)  # PLATFORM_IOS
        self.assertOnly("LC_BUILD_VERSION", "platform 2")

    def test_minos_14(self):
        minos = macho_command(self.data, cb.LC_BUILD_VERSION) + 12
        struct.pack_into("<I", self.data, minos, 0x000E0000)
        self.assertOnly("LC_BUILD_VERSION", "minos 14.0.0, expected 11.0.0")

    def test_no_build_version(self):
        remove_command(self.data, cb.LC_BUILD_VERSION)
        self.assertOnly("LC_BUILD_VERSION", "0 found")

    def test_no_dylinker(self):
        remove_command(self.data, cb.LC_LOAD_DYLINKER)
        self.assertOnly("LC_LOAD_DYLINKER", "found []")

    def test_another_dylinker(self):
        offset = macho_command(self.data, cb.LC_LOAD_DYLINKER)
        name = offset + struct.unpack_from("<I", self.data, offset + 8)[0]
        self.data[name : name + len("/usr/lib/dyld")] = b"/usr/lib/dyle"
        self.assertOnly("LC_LOAD_DYLINKER", "/usr/lib/dyle")

    def test_no_main(self):
        remove_command(self.data, cb.LC_MAIN)
        self.assertOnly("LC_MAIN", "no entry point")

    def test_no_libsystem(self):
        remove_command(self.data, cb.LC_LOAD_DYLIB)
        self.assertOnly("libSystem", "loads []")

    def test_not_arm64(self):
        struct.pack_into("<i", self.data, 4, 0x01000007)  # CPU_TYPE_X86_64
        self.assertOnly("arm64")

    # -- code --

    def test_a_linux_trap(self):
        at = macho_file_offset(self.data, first(self.path, "svc"))
        self.data[at : at + 4] = struct.pack("<I", 0xD4000001)  # svc #0
        self.assertOnly("traps", "svc #0")

    def test_a_call_to_a_branch_to_itself(self):
        """The bzero bug: bzero's first instruction is `b .`."""
        target = first_call_target(self.path, "aarch64")
        at = macho_file_offset(self.data, target)
        self.data[at : at + 4] = ARM64_B_SELF
        self.assertOnly("calls", f"land on {target:#x}, an endless loop (b {target:#x})")

    def test_a_call_to_two_branches_in_a_loop(self):
        target = first_call_target(self.path, "aarch64")
        at = macho_file_offset(self.data, target)
        self.data[at : at + 8] = arm64_b(target, target + 4) + arm64_b(target + 4, target)
        self.assertOnly("calls", f"(b {target + 4:#x} -> b {target:#x})")


class MachODebugImports(BrokenCopy):
    def test_an_import_from_libsystem(self):
        # The debug build keeps its symbol table, with dyld's one import.
        path, data = self.copy(MACHO, "debug", "stage01_exit")
        name = data.index(b"\0dyld_stub_binder\0") + 1
        data[name : name + len("dyld_stub_binder")] = b"write".ljust(len("dyld_stub_binder"), b"\0")
        resign(data)
        self.assertOnlyFails(MACHO, path, data, "imports", "['write']")


class ElfChecks:
    """The tests both Linux targets share. A subclass sets TARGET, ARCH,
    TRAP (its trap's mnemonic), OTHER_TRAP (another trap's machine code)
    and endless_loop_at(address)."""

    def setUp(self):
        super().setUp()
        self.path, self.data = self.copy(self.TARGET, "release", "stage07_files")

    def pointer_at(self, address):
        return cb.elf_pointer(bytes(self.data), address)

    def assertOnly(self, expected, *details):
        return self.assertOnlyFails(self.TARGET, self.path, self.data, expected, *details)

    def test_the_untouched_copy_passes(self):
        self.assertEqual(check(self.TARGET, self.path), [])

    def test_a_call_to_a_branch_to_itself(self):
        target = first_call_target(self.path, self.ARCH, self.pointer_at)
        self.endless_loop_at(target)
        self.assertOnly("calls", f"land on {target:#x}, an endless loop")

    def test_an_interpreter(self):
        # Any program header will do: PT_GNU_STACK becomes PT_INTERP.
        header = elf_program_header(self.data, PT_GNU_STACK)
        struct.pack_into("<I", self.data, header, cb.PT_INTERP)
        self.assertOnly("static", "not a static executable")

    def test_the_other_trap(self):
        at = elf_file_offset(self.data, first(self.path, self.TRAP))
        self.data[at : at + len(self.OTHER_TRAP)] = self.OTHER_TRAP
        self.assertOnly("traps")

    def test_an_undefined_symbol(self):
        # The debug build keeps its symbol table: one global becomes undefined.
        path, data = self.copy(self.TARGET, "debug", "stage01_exit")
        # Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16 (at 6)...
        symbol = next(s for s in elf_global_symbols(data)
                      if struct.unpack_from("<H", data, s + 6)[0] != SHN_UNDEF)
        struct.pack_into("<H", data, symbol + 6, SHN_UNDEF)
        self.assertOnlyFails(self.TARGET, path, data, "undefined")


class Aarch64Linux(ElfChecks, BrokenCopy):
    TARGET, ARCH, TRAP = ARM_LINUX, "aarch64", "svc"
    OTHER_TRAP = struct.pack("<I", 0xD4001001)  # svc #0x80, Darwin's

    def endless_loop_at(self, address):
        at = elf_file_offset(self.data, address)
        self.data[at : at + 4] = ARM64_B_SELF


class X86_64Linux(ElfChecks, BrokenCopy):
    TARGET, ARCH, TRAP = X86_LINUX, "x86_64", "syscall"
    OTHER_TRAP = b"\x0f\x34"  # sysenter

    def endless_loop_at(self, address):
        """`jmp .`, then nops to the end of the instruction it replaces, so
        that the rest of the code still disassembles as it did."""
        instructions = sorted(code(self.path))
        length = instructions[instructions.index(address) + 1] - address
        at = elf_file_offset(self.data, address)
        self.data[at : at + length] = X86_JMP_SELF + X86_NOP * (length - len(X86_JMP_SELF))

    def test_a_call_through_the_got_to_a_jump_to_itself(self):
        """x86_64 code calls memset and friends as `call *GOT(%rip)`."""
        got_calls = [line for line in cb.disassemble(self.path).splitlines()
                     if "\tcall" in line and "(%rip)" in line]
        self.assertTrue(got_calls, "no call through the GOT")
        slot = int(got_calls[0].split("# 0x")[1].split()[0], 16)
        target = self.pointer_at(slot)
        self.endless_loop_at(target)
        self.assertOnly("calls", f"land on {target:#x}, an endless loop (jmp {target:#x})")


class TheScript(BrokenCopy):
    """tools/check-binaries TARGET FOLDER: every problem listed, exit 1."""

    def test_lists_every_problem_of_every_stage_and_exits_1(self):
        path, data = self.copy(MACHO, "release", "stage07_files")
        remove_command(data, cb.LC_UUID)
        struct.pack_into("<I", data, macho_command(data, cb.LC_BUILD_VERSION) + 8, 2)
        resign(data)
        path.write_bytes(data)
        other, other_data = self.copy(MACHO, "release", "stage01_exit")
        other_data[code_directory(other_data)[0] - 1] ^= 0xFF
        other.write_bytes(other_data)
        self.copy(MACHO, "release", "stage02_write")  # untouched
        out = subprocess.run([SCRIPT, MACHO, path.parent], capture_output=True, text=True)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        lines = out.stdout.splitlines()
        self.assertEqual(len(lines), 4, lines)
        self.assertTrue(lines[0].startswith(f"FAIL {MACHO} stage01_exit: signature: "), lines)
        self.assertEqual(lines[1], f"ok   {MACHO} stage02_write")
        self.assertEqual(lines[2], f"FAIL {MACHO} stage07_files: LC_UUID: missing")
        self.assertTrue(lines[3].startswith(f"FAIL {MACHO} stage07_files: LC_BUILD_VERSION: "),
                        lines)

    def test_an_unsupported_target_exits_1(self):
        out = subprocess.run([SCRIPT, "riscv64gc-unknown-linux-gnu", self.work],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 1)
        self.assertIn("unsupported target", out.stderr)


if __name__ == "__main__":
    unittest.main()
