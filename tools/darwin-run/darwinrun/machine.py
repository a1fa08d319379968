"""The emulated process: memory laid out as the kernel and dyld leave it,
an arm64 CPU (Unicorn), and the traps out of it (svc, brk, faults).
"""

import os
import resource
import signal
import struct
import sys

from unicorn import (UC_ARCH_ARM64, UC_HOOK_INTR, UC_HOOK_MEM_INVALID,
                     UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT,
                     UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED,
                     UC_MODE_ARM, UC_PROT_ALL, UC_PROT_EXEC, UC_PROT_NONE, UC_PROT_READ,
                     UC_PROT_WRITE, Uc, UcError)
from unicorn.arm64_const import (UC_ARM64_REG_NZCV, UC_ARM64_REG_PC, UC_ARM64_REG_SP,
                                 UC_ARM64_REG_X0, UC_ARM64_REG_X1, UC_ARM64_REG_X16,
                                 UC_ARM64_REG_X29, UC_ARM64_REG_X30, UC_CPU_ARM64_MAX)

from . import macho, xnu
from .errors import EX_SOFTWARE, Fatal, GuestExit
from .syscalls import Syscalls

# Where things go in the guest's address space. The image sits at the
# address it was linked for (0x100000000 after the 4 GiB __PAGEZERO) plus a
# slide; the stack and the trap page go where nothing of the image can be.
#
# The slide: xnu loads a PIE executable at a random distance from its
# linked address (bsd/kern/mach_loader.c load_machfile): on arm64 0 to 2
# "sections" of 32 MiB (vm_map_get_max_aslr_slide_section, ARM_TT_TWIG_SIZE)
# plus 1 to 1022 pages of 16 KiB (vm_map_get_max_aslr_slide_pages: 16 MiB
# of pages, osfmk/vm/vm_map.c). The emulator takes one fixed value from that
# range, so that every run is the same; --slide picks another, and 0 is the
# unslid load xnu does when ASLR is turned off (IMGPF_DISABLE_ASLR).
DEFAULT_SLIDE = 0x2000000 + 0x2A3 * 0x4000  # 0x2a8c000
MAX_SLIDE = 2 * 0x2000000 + 1022 * 0x4000
STACK_TOP = 0x170000000
STACK_SIZE = 8 << 20  # the main thread's stack on macOS: 8 MiB
TRAP_PAGE = 0x300000000
TRAP_MAIN_RETURNED = TRAP_PAGE  # main's return address, as if in dyld
BRK_TRAP = 0xD4200000 | (0xF00D << 5)  # brk #0xf00d: one per trap address

INTR_UNDEFINED, INTR_SVC, INTR_BRK = 1, 2, 7  # Unicorn's arm64 exception numbers
CARRY = 1 << 29  # NZCV bit 29



def _host_prot(initprot):
    prot = UC_PROT_NONE
    if initprot & macho.VM_PROT_READ:
        prot |= UC_PROT_READ
    if initprot & macho.VM_PROT_WRITE:
        prot |= UC_PROT_WRITE
    if initprot & macho.VM_PROT_EXECUTE:
        prot |= UC_PROT_EXEC
    return prot


def _page_round(lo, hi):
    return lo & ~(macho.PAGE - 1), (hi + macho.PAGE - 1) & ~(macho.PAGE - 1)


class Machine:
    def __init__(self, path, args, strict=False, trace=None, slide=DEFAULT_SLIDE):
        self.path = path
        self.strict = strict
        self.slide = slide
        self.trace = trace  # a file descriptor for --strace lines, or None
        self.forked = False  # once true, trace lines name their process
        self.fault = None  # how a bad memory access ended the guest
        with open(path, "rb") as f:
            self.image = macho.Image(f.read())
        if strict and self.image.uuid is None:
            # xnu itself only copies the UUID when there is one
            # (bsd/kern/mach_loader.c load_uuid).
            raise Fatal(
                "strict: the executable has no LC_UUID load command. dyld refuses to "
                "launch a main executable without one when it was built with a recent "
                "SDK (dyld mach_o/UnsafeHeader.cpp validSemanticsUUID, Policy.cpp "
                "enforceHasUUID), and crash reports and debuggers need it; linkers "
                "write one unless told not to (ld64 -no_uuid)")
        self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
        # The default CPU lacks the LSE atomics rustc emits for Apple targets.
        self.uc.ctl_set_cpu_model(UC_CPU_ARM64_MAX)
        self.trap_names = ["main returned"]
        self._map_image()
        self._set_up_main(args)
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_bad_access)
        self.syscalls = Syscalls(self)

    # --- loading ---------------------------------------------------------
    def _map_image(self):
        image = self.image
        slide = self.slide
        mapped = []
        for seg in image.segments:
            if seg.vmsize == 0:
                continue
            if seg.is_page_zero():
                # __PAGEZERO: left unmapped so that null pointers fault.
                continue
            lo, hi = _page_round(slide + seg.vmaddr, slide + seg.vmaddr + seg.vmsize)
            for other_lo, other_hi, name in mapped:
                if lo < other_hi and other_lo < hi:
                    raise macho.MachOError(
                        f"segments {name} and {seg.name} share a 16 KiB page"
                    )
            mapped.append((lo, hi, seg.name))
            self.uc.mem_map(lo, hi - lo, UC_PROT_ALL)
            self.uc.mem_write(slide + seg.vmaddr,
                              image.data[seg.fileoff:seg.fileoff + seg.filesize])

        # dyld's work: pointers rebased (each holds a linked address, so it
        # gets the slide added), imports bound. An import gets a trap
        # address of its own, so a call to it names the function.
        for address, value in image.rebases:
            self.uc.mem_write(slide + address,
                              struct.pack("<Q", (value + slide) & 0xFFFFFFFFFFFFFFFF))
        traps = {}
        for address, symbol, dylib in image.binds:
            key = (symbol, dylib)
            if key not in traps:
                traps[key] = TRAP_PAGE + 4 * len(self.trap_names)
                self.trap_names.append(f"{symbol} (imported from {dylib})")
            self.uc.mem_write(slide + address, struct.pack("<Q", traps[key]))
        trap_size = _page_round(0, 4 * len(self.trap_names))[1]
        self.uc.mem_map(TRAP_PAGE, trap_size, UC_PROT_READ | UC_PROT_EXEC)
        self.uc.mem_write(TRAP_PAGE, struct.pack("<I", BRK_TRAP) * (trap_size // 4))

        # Then the protections the segments ask for; dyld makes
        # SG_READ_ONLY segments (__DATA_CONST) read-only after fixups.
        for seg in image.segments:
            if seg.vmsize == 0 or seg.is_page_zero():
                continue
            lo, hi = _page_round(slide + seg.vmaddr, slide + seg.vmaddr + seg.vmsize)
            prot = _host_prot(seg.initprot)
            if seg.flags & macho.SG_READ_ONLY:
                prot &= ~UC_PROT_WRITE
            self.uc.mem_protect(lo, hi - lo, prot)

    def _set_up_main(self, args):
        """The stack as the kernel lays it out (xnu bsd/kern/kern_exec.c,
        exec_copyout_strings), then dyld's call main(argc, argv, envp, apple)
        (dyld/dyldMain.cpp)."""
        self.uc.mem_map(STACK_TOP - STACK_SIZE, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        argv = [os.fsencode(a) for a in args]
        envp = _original_environment()
        apple = [b"executable_path=" + os.fsencode(self.path)]
        strings = b""
        offsets = []
        for s in argv + envp + apple:
            offsets.append(len(strings))
            strings += s + b"\0"
        string_base = (STACK_TOP - 16 - len(strings)) & ~15
        self.uc.mem_write(string_base, strings)
        pointers = [string_base + o for o in offsets]
        n_argv, n_env = len(argv), len(envp)
        table = ([self.slide + self.image.base, len(argv)] + pointers[:n_argv] + [0]
                 + pointers[n_argv:n_argv + n_env] + [0] + pointers[n_argv + n_env:] + [0])
        sp = (string_base - 8 * len(table)) & ~15
        self.uc.mem_write(sp, struct.pack(f"<{len(table)}Q", *table))
        argv_at = sp + 16
        envp_at = argv_at + 8 * (n_argv + 1)
        apple_at = envp_at + 8 * (n_env + 1)
        # dyld's own frame sits below the kernel's block; main gets a fresh
        # 16-byte-aligned stack pointer under it.
        self.uc.reg_write(UC_ARM64_REG_SP, sp - 256)
        self.uc.reg_write(UC_ARM64_REG_X0, n_argv)
        self.uc.reg_write(UC_ARM64_REG_X1, argv_at)
        self.uc.reg_write(UC_ARM64_REG_X0 + 2, envp_at)
        self.uc.reg_write(UC_ARM64_REG_X0 + 3, apple_at)
        self.uc.reg_write(UC_ARM64_REG_X29, 0)
        self.uc.reg_write(UC_ARM64_REG_X30, TRAP_MAIN_RETURNED)
        self.argv_strings = argv
        self.env_count = n_env

    # --- running ---------------------------------------------------------
    def run(self):
        """Runs the guest until it ends; returns a GuestExit."""
        if self.trace is not None:
            shown = ", ".join(_quote(a) for a in self.argv_strings)
            self.log(f"--- dyld calls main({len(self.argv_strings)}, [{shown}], "
                     f"envp /* {self.env_count} var{'' if self.env_count == 1 else 's'} */, apple) ---")
        try:
            self.uc.emu_start(self.slide + self.image.entry, 0xFFFFFFFFFFFFFFFF)
        except GuestExit as end:
            return end
        except UcError as e:
            if self.fault is not None:
                return self.fault
            raise Fatal(f"CPU emulation stopped: {e} at pc {self.pc():#x}") from None
        raise Fatal(f"CPU emulation stopped unexpectedly at pc {self.pc():#x}")

    def pc(self):
        return self.uc.reg_read(UC_ARM64_REG_PC)

    def log(self, line):
        if self.trace is not None:
            if self.forked:
                line = f"[pid {os.getpid()}] {line}"
            os.write(self.trace, line.encode("utf-8", "replace") + b"\n")

    def _on_interrupt(self, uc, intno, _data):
        pc = self.pc()
        if intno == INTR_SVC:
            # PC is already past the svc: check its immediate.
            (insn,) = struct.unpack("<I", uc.mem_read(pc - 4, 4))
            imm = (insn >> 5) & 0xFFFF
            if imm != 0x80:
                raise Fatal(
                    f"`svc #{imm:#x}` at pc {pc - 4:#x}: macOS system calls are "
                    f"`svc #0x80` with the number in x16 (`svc #0` with x8 is Linux)"
                )
            self.syscalls.dispatch()
        elif intno == INTR_BRK:
            # PC stays on the brk.
            if TRAP_PAGE <= pc < TRAP_PAGE + 4 * len(self.trap_names):
                index = (pc - TRAP_PAGE) // 4
                if index == 0:
                    self._main_returned()
                raise Fatal(
                    f"the program called {self.trap_names[index]}; the emulator runs "
                    f"no libraries (return address {uc.reg_read(UC_ARM64_REG_X30):#x})"
                )
            (insn,) = struct.unpack("<I", uc.mem_read(pc, 4))
            self._die_of_fault(xnu.SIG["SIGTRAP"],
                               f"brk #{(insn >> 5) & 0xFFFF:#x} at pc {pc:#x}")
        elif intno == INTR_UNDEFINED:
            try:
                word = f"{struct.unpack('<I', uc.mem_read(pc, 4))[0]:#010x}"
            except UcError:
                word = "(unreadable)"
            self._die_of_fault(xnu.SIG["SIGILL"],
                               f"undefined instruction {word} at pc {pc:#x}")
        else:
            raise Fatal(f"CPU exception {intno} at pc {pc:#x}")

    def _main_returned(self):
        # dyld calls libSystem's exit(main's result): exit takes an int and
        # the parent sees its low 8 bits (xnu bsd/kern/kern_exit.c).
        status = self.uc.reg_read(UC_ARM64_REG_X0) & 0xFF
        self.log(f"--- main returned {status}: libSystem calls exit({status}) ---")
        self.log(f"{f'exit({status})':<39} = ?")
        self.log(f"+++ exited with {status} +++")
        raise GuestExit(status=status)

    FAULTS = {
        UC_MEM_READ_UNMAPPED: "read of unmapped", UC_MEM_WRITE_UNMAPPED: "write to unmapped",
        UC_MEM_FETCH_UNMAPPED: "fetch from unmapped", UC_MEM_WRITE_PROT: "write to read-only",
        UC_MEM_READ_PROT: "read of unreadable", UC_MEM_FETCH_PROT: "fetch from non-executable",
    }
    UNMAPPED = (UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_UNMAPPED, UC_MEM_FETCH_UNMAPPED)

    def _on_bad_access(self, uc, access, address, _size, _value, _data):
        what = self.FAULTS.get(access, f"access {access} to")
        # EXC_BAD_ACCESS becomes SIGSEGV for an address with nothing mapped
        # (KERN_INVALID_ADDRESS), SIGBUS otherwise (bsd/uxkern/ux_exception.c).
        sig = xnu.SIG["SIGSEGV"] if access in self.UNMAPPED else xnu.SIG["SIGBUS"]
        try:
            self._die_of_fault(sig, f"{what} memory at {address:#x} (pc {self.pc():#x})")
        except GuestExit as end:
            self.fault = end
        return False  # stop: emu_start raises, run() returns self.fault

    def _die_of_fault(self, sig, what):
        raise GuestExit(signal_number=sig,
                        note=f"darwin-run: the program died of {xnu.DARWIN_SIGNALS[sig]}: {what}")

    # --- registers -----------------------------------------------------
    def syscall_registers(self):
        read = self.uc.reg_read
        return read(UC_ARM64_REG_X16), [read(UC_ARM64_REG_X0 + i) for i in range(8)]

    def set_result(self, x0, x1, failed):
        self.uc.reg_write(UC_ARM64_REG_X0, x0 & 0xFFFFFFFFFFFFFFFF)
        self.uc.reg_write(UC_ARM64_REG_X1, x1 & 0xFFFFFFFFFFFFFFFF)
        nzcv = self.uc.reg_read(UC_ARM64_REG_NZCV)
        self.uc.reg_write(UC_ARM64_REG_NZCV, nzcv | CARRY if failed else nzcv & ~CARRY)


def _original_environment():
    """The environment this process was started with. Python may have
    added to os.environ already (LC_CTYPE, when it coerces a C locale);
    /proc/self/environ still holds what exec handed over."""
    try:
        with open("/proc/self/environ", "rb") as f:
            return [entry for entry in f.read().split(b"\0") if entry]
    except OSError:
        return [k + b"=" + v for k, v in os.environb.items()]


def _quote(data):
    from .strace import quote
    return quote(data, limit=None)


def die(end, trace_fd=None):
    """Ends this process the way the guest ended: same status, same signal."""
    if end.note:
        os.write(2, end.note.encode("utf-8", "replace") + b"\n")
    if end.signal_number is None:
        os._exit(end.status)
    host_sig = xnu.linux_signal(end.signal_number)
    if trace_fd is not None:
        os.write(trace_fd, f"+++ killed by {xnu.DARWIN_SIGNALS[end.signal_number]} +++\n".encode())
    # No core file: macOS's default core limit is 0, and the parent should
    # see exactly the signal.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(host_sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [host_sig])
    os.kill(os.getpid(), host_sig)
    sys.stderr.write(f"darwin-run: {host_sig} did not end the process\n")
    os._exit(EX_SOFTWARE)
