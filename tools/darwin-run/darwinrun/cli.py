"""The command line: darwin-run [--strict] [--strace] [--slide=N] BINARY [ARGS...]"""

import fcntl
import sys

from . import macho
from .errors import EX_SOFTWARE, Fatal
from .machine import DEFAULT_SLIDE, MAX_SLIDE, Machine, die

USAGE = "usage: darwin-run [--strict] [--strace] [--slide=N] BINARY [ARGS...]\n"


def main(argv):
    strict = trace = False
    slide = DEFAULT_SLIDE
    args = argv[1:]
    # Options come before the binary; everything after it is the guest's.
    while args and args[0].startswith("--"):
        option = args.pop(0)
        if option == "--strict":
            strict = True
        elif option == "--strace":
            trace = True
        elif option.startswith("--slide="):
            slide = _slide(option[len("--slide="):])
            if slide is None:
                sys.stderr.write(
                    f"darwin-run: {option}: a slide is a multiple of 16 KiB from 0 to "
                    f"{MAX_SLIDE:#x}, as xnu chooses them (see machine.py)\n{USAGE}")
                return 64  # EX_USAGE
        elif option == "--":
            break
        else:
            sys.stderr.write(f"darwin-run: unknown option {option}\n{USAGE}")
            return 64  # EX_USAGE
    if not args:
        sys.stderr.write(USAGE)
        return 64
    # The trace goes to a copy of stderr high up, so that it survives the
    # guest closing or redirecting its own fd 2.
    trace_fd = fcntl.fcntl(2, fcntl.F_DUPFD_CLOEXEC, 900) if trace else None
    try:
        machine = Machine(args[0], args, strict=strict, trace=trace_fd, slide=slide)
        end = machine.run()
    except (OSError, macho.MachOError) as e:
        sys.stderr.write(f"darwin-run: {args[0]}: {e}\n")
        return EX_SOFTWARE
    except Fatal as e:
        sys.stderr.write(f"darwin-run: {e}\n")
        return EX_SOFTWARE
    die(end, trace_fd)
    return EX_SOFTWARE  # not reached: die ends the process


def _slide(text):
    """The value of --slide (decimal or 0x hex), or None if xnu would never
    choose it."""
    try:
        value = int(text, 0)
    except ValueError:
        return None
    if value % macho.PAGE or not 0 <= value <= MAX_SLIDE:
        return None
    return value
