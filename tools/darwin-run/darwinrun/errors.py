"""How an emulated run ends early."""

EX_SOFTWARE = 70  # sysexits.h: the emulator's own failures end with this


class Fatal(Exception):
    """An emulator limit or a strict-mode finding: a message, then exit 70."""


class GuestExit(Exception):
    """The guest ended: with a status, or killed by a (Darwin) signal."""

    def __init__(self, status=None, signal_number=None, note=None):
        super().__init__(note)
        self.status = status
        self.signal_number = signal_number
        self.note = note
