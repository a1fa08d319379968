"""Reads a 64-bit arm64 Mach-O executable: its segments, entry point and
the places dyld would fill with imported symbols.

Layouts from xnu EXTERNAL_HEADERS/mach-o/loader.h and fixup-chains.h, and
the dyld sources (apple-oss-distributions/dyld).
"""

import struct

MH_MAGIC_64 = 0xFEEDFACF
CPU_TYPE_ARM64 = 0x0100000C
MH_EXECUTE = 0x2
MH_DYLDLINK = 0x4
MH_PIE = 0x200000

LC_REQ_DYLD = 0x80000000
LC_SEGMENT_64 = 0x19
LC_LOAD_DYLIB = 0xC
LC_LOAD_WEAK_DYLIB = 0x18 | LC_REQ_DYLD
LC_REEXPORT_DYLIB = 0x1F | LC_REQ_DYLD
LC_DYLD_INFO = 0x22
LC_DYLD_INFO_ONLY = 0x22 | LC_REQ_DYLD
LC_MAIN = 0x28 | LC_REQ_DYLD
LC_UNIXTHREAD = 0x5
LC_DYLD_CHAINED_FIXUPS = 0x34 | LC_REQ_DYLD
LC_UUID = 0x1B

SG_READ_ONLY = 0x10  # loader.h: dyld makes the segment read-only after fixups

VM_PROT_READ, VM_PROT_WRITE, VM_PROT_EXECUTE = 1, 2, 4
VM_PROT_ALL = 7

# bsd/kern/mach_loader.c load_machfile: "64 bit ARM binary must have hard
# page zero of 4GB to cover the lower 32 bit address space".
PAGE_ZERO_SIZE = 0x100000000

# Apple silicon pages are 16 KiB; segments are aligned to them.
PAGE = 0x4000


class MachOError(Exception):
    """The file is not something macOS on arm64 would run."""


class Segment:
    def __init__(self, name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, flags):
        self.name = name
        self.vmaddr = vmaddr
        self.vmsize = vmsize
        self.fileoff = fileoff
        self.filesize = filesize
        self.maxprot = maxprot
        self.initprot = initprot
        self.flags = flags

    def is_page_zero(self):
        """What xnu's load_segment (bsd/kern/mach_loader.c) takes for a page
        zero: at address 0, nothing from the file, no access now or ever.
        It maps nothing there and raises the lowest usable address instead."""
        return (self.vmaddr == 0 and self.filesize == 0 and self.vmsize != 0
                and self.initprot & VM_PROT_ALL == 0 and self.maxprot & VM_PROT_ALL == 0)


class Image:
    """What the loader needs from the file."""

    def __init__(self, data):
        self.data = data
        self.segments = []
        self.dylibs = []
        self.entryoff = None
        self.uuid = None  # the 16 bytes of LC_UUID, if there is one
        # (address, symbol, dylib) places that dyld binds to an import
        self.binds = []
        # (address, value) pointers dyld rebases: each place holds `value`,
        # its target's linked address, and gets value + slide at load time
        self.rebases = []
        self._dyld_info = None
        self._chained = None
        self._parse()

    @property
    def base(self):
        """The address of the Mach-O header: __TEXT starts at file offset 0."""
        for seg in self.segments:
            if seg.fileoff == 0 and seg.filesize:
                return seg.vmaddr
        raise MachOError("no segment maps the Mach-O header")

    @property
    def entry(self):
        return self.base + self.entryoff

    def _parse(self):
        data = self.data
        if len(data) < 32:
            raise MachOError("too short for a Mach-O header")
        magic, cputype, _sub, filetype, ncmds, _size, flags, _res = struct.unpack_from(
            "<IiiIIIII", data, 0
        )
        if magic != MH_MAGIC_64:
            raise MachOError(f"not a 64-bit little-endian Mach-O (magic {magic:#x})")
        if cputype != CPU_TYPE_ARM64:
            raise MachOError(f"not an arm64 Mach-O (cputype {cputype:#x})")
        if filetype != MH_EXECUTE:
            raise MachOError(f"not an executable (filetype {filetype})")
        # xnu bsd/kern/mach_loader.c, parse_machfile: an arm64 executable
        # must be dynamic (MH_DYLDLINK) and position independent.
        if not flags & MH_DYLDLINK:
            raise MachOError("not dynamically linked: macOS on arm64 refuses static executables")
        if not flags & MH_PIE:
            raise MachOError("not position independent (MH_PIE): macOS on arm64 refuses it")
        offset = 32
        for _ in range(ncmds):
            cmd, cmdsize = struct.unpack_from("<II", data, offset)
            if cmdsize < 8 or offset + cmdsize > len(data):
                raise MachOError(f"load command at {offset:#x} runs off the file")
            self._command(cmd, offset)
            offset += cmdsize
        if self.entryoff is None:
            raise MachOError("no LC_MAIN: dyld has no main() to call")
        # xnu checks the page zero after the slide; the slide may be a
        # single page or, with ASLR off, 0, so only a page zero covering
        # the 4 GiB on its own loads every time.
        zero = self.page_zero
        if zero is None or zero.vmsize < PAGE_ZERO_SIZE:
            size = f"{zero.vmsize:#x} bytes" if zero else "missing"
            raise MachOError(
                f"the __PAGEZERO segment is {size}: xnu refuses an arm64 executable whose "
                f"page zero does not cover the low 4 GiB (bsd/kern/mach_loader.c "
                f"load_machfile, LOAD_BADMACHO); ld64 makes it 4 GiB unless -pagezero_size "
                f"says otherwise")
        self._read_fixups()

    @property
    def page_zero(self):
        return next((seg for seg in self.segments if seg.is_page_zero()), None)

    def _command(self, cmd, at):
        data = self.data
        if cmd == LC_SEGMENT_64:
            name = data[at + 8:at + 24].rstrip(b"\0").decode("ascii", "replace")
            vmaddr, vmsize, fileoff, filesize, maxprot, initprot, _nsects, flags = (
                struct.unpack_from("<QQQQiiII", data, at + 24)
            )
            self.segments.append(
                Segment(name, vmaddr, vmsize, fileoff, filesize, maxprot, initprot, flags)
            )
        elif cmd in (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB):
            (name_off,) = struct.unpack_from("<I", data, at + 8)
            end = data.index(b"\0", at + name_off)
            self.dylibs.append(data[at + name_off:end].decode("utf-8", "replace"))
        elif cmd == LC_MAIN:
            (self.entryoff,) = struct.unpack_from("<Q", data, at + 8)
        elif cmd == LC_UNIXTHREAD:
            raise MachOError("LC_UNIXTHREAD entry: macOS on arm64 only starts LC_MAIN programs")
        elif cmd in (LC_DYLD_INFO, LC_DYLD_INFO_ONLY):
            self._dyld_info = struct.unpack_from("<10I", data, at + 8)
        elif cmd == LC_DYLD_CHAINED_FIXUPS:
            self._chained = struct.unpack_from("<II", data, at + 8)
        elif cmd == LC_UUID:
            self.uuid = data[at + 8:at + 24]

    def dylib_name(self, ordinal):
        if 1 <= ordinal <= len(self.dylibs):
            return self.dylibs[ordinal - 1]
        return {0: "this image", -1: "the main executable", -2: "a flat lookup"}.get(
            ordinal, f"dylib #{ordinal}"
        )

    def _read_fixups(self):
        if self._chained:
            self._read_chained(*self._chained)
        if self._dyld_info:
            (rebase_off, rebase_size, bind_off, bind_size, _wb_off, _wb_size,
             lazy_off, lazy_size, _exp_off, _exp_size) = self._dyld_info
            # Weak binds resolve to the image's own definitions: nothing to do.
            self._read_rebases(rebase_off, rebase_size)
            self._read_binds(bind_off, bind_size, lazy=False)
            self._read_binds(lazy_off, lazy_size, lazy=True)

    # --- classic dyld info: loader.h opcodes, as dyld's mach_o/RebaseOpcodes.cpp
    # and BindOpcodes.cpp read them ---
    def _read_rebases(self, off, size):
        """REBASE_OPCODE_*: a stream of (segment, offset) places, each a
        pointer (REBASE_TYPE_POINTER, the only type arm64 has) holding its
        target's linked address."""
        data = self.data
        reader = _Leb(data, off)
        end = off + size
        seg, seg_off, seg_set = 0, 0, False

        def rebase():
            if not seg_set or seg >= len(self.segments):
                raise MachOError("rebase opcodes name no segment, or one that does not exist")
            segment = self.segments[seg]
            if seg_off > segment.vmsize - 8:
                raise MachOError(f"rebase at {seg_off:#x} is past the end of {segment.name}")
            # The pointer as the file holds it (zero-fill past filesize).
            at = segment.fileoff + seg_off
            raw = data[at:at + 8] if seg_off + 8 <= segment.filesize else bytes(8)
            self.rebases.append((segment.vmaddr + seg_off, struct.unpack("<Q", raw)[0]))

        while reader.pos < end:
            byte = data[reader.pos]
            reader.pos += 1
            opcode, imm = byte & 0xF0, byte & 0x0F
            if opcode == 0x00:  # REBASE_OPCODE_DONE
                break
            elif opcode == 0x10:  # SET_TYPE_IMM
                if imm != 1:  # REBASE_TYPE_POINTER
                    raise MachOError(f"rebase type {imm}: arm64 has only pointers")
            elif opcode == 0x20:  # SET_SEGMENT_AND_OFFSET_ULEB
                seg, seg_off, seg_set = imm, reader.uleb(), True
            elif opcode == 0x30:  # ADD_ADDR_ULEB
                seg_off += reader.uleb()
            elif opcode == 0x40:  # ADD_ADDR_IMM_SCALED
                seg_off += imm * 8
            elif opcode == 0x50:  # DO_REBASE_IMM_TIMES
                for _ in range(imm):
                    rebase()
                    seg_off += 8
            elif opcode == 0x60:  # DO_REBASE_ULEB_TIMES
                for _ in range(reader.uleb()):
                    rebase()
                    seg_off += 8
            elif opcode == 0x70:  # DO_REBASE_ADD_ADDR_ULEB
                rebase()
                seg_off += reader.uleb() + 8
            elif opcode == 0x80:  # DO_REBASE_ULEB_TIMES_SKIPPING_ULEB
                count, skip = reader.uleb(), reader.uleb()
                for _ in range(count):
                    rebase()
                    seg_off += skip + 8
            else:
                raise MachOError(f"unknown rebase opcode {opcode:#x}")

    def _read_binds(self, off, size, lazy):
        data = self.data
        end = off + size
        reader = _Leb(data, off)
        uleb, sleb = reader.uleb, reader.sleb
        symbol, ordinal, seg, seg_off = "", 0, 0, 0

        def bind():
            address = self.segments[seg].vmaddr + seg_off
            self.binds.append((address, symbol, self.dylib_name(ordinal)))

        while reader.pos < end:
            byte = data[reader.pos]
            reader.pos += 1
            opcode, imm = byte & 0xF0, byte & 0x0F
            if opcode == 0x00:  # BIND_OPCODE_DONE: lazy info separates entries with it
                if not lazy:
                    break
            elif opcode == 0x10:  # SET_DYLIB_ORDINAL_IMM
                ordinal = imm
            elif opcode == 0x20:  # SET_DYLIB_ORDINAL_ULEB
                ordinal = uleb()
            elif opcode == 0x30:  # SET_DYLIB_SPECIAL_IMM (0, -1, -2 ...)
                ordinal = imm - 16 if imm else 0
            elif opcode == 0x40:  # SET_SYMBOL_TRAILING_FLAGS_IMM
                name_end = data.index(b"\0", reader.pos)
                symbol = data[reader.pos:name_end].decode("utf-8", "replace")
                reader.pos = name_end + 1
            elif opcode == 0x50:  # SET_TYPE_IMM (always a pointer here)
                pass
            elif opcode == 0x60:  # SET_ADDEND_SLEB
                sleb()
            elif opcode == 0x70:  # SET_SEGMENT_AND_OFFSET_ULEB
                seg, seg_off = imm, uleb()
            elif opcode == 0x80:  # ADD_ADDR_ULEB
                seg_off = (seg_off + uleb()) & 0xFFFFFFFFFFFFFFFF
            elif opcode == 0x90:  # DO_BIND
                bind()
                seg_off += 8
            elif opcode == 0xA0:  # DO_BIND_ADD_ADDR_ULEB
                bind()
                seg_off = (seg_off + 8 + uleb()) & 0xFFFFFFFFFFFFFFFF
            elif opcode == 0xB0:  # DO_BIND_ADD_ADDR_IMM_SCALED
                bind()
                seg_off += 8 + imm * 8
            elif opcode == 0xC0:  # DO_BIND_ULEB_TIMES_SKIPPING_ULEB
                count, skip = uleb(), uleb()
                for _ in range(count):
                    bind()
                    seg_off += 8 + skip
            else:
                raise MachOError(f"bind opcode {opcode:#x} not supported (arm64e threaded binds?)")

    # --- chained fixups: mach-o/fixup-chains.h ---
    def _read_chained(self, off, _size):
        data = self.data
        (_version, starts_off, imports_off, symbols_off, imports_count,
         imports_format, _symbols_format) = struct.unpack_from("<7I", data, off)
        imports = []
        for i in range(imports_count):
            if imports_format == 1:  # DYLD_CHAINED_IMPORT
                (raw,) = struct.unpack_from("<I", data, off + imports_off + 4 * i)
                lib, name_off = raw & 0xFF, raw >> 9
                lib = lib - 256 if lib > 0xF0 else lib
            elif imports_format == 2:  # DYLD_CHAINED_IMPORT_ADDEND
                (raw, _addend) = struct.unpack_from("<Ii", data, off + imports_off + 8 * i)
                lib, name_off = raw & 0xFF, raw >> 9
                lib = lib - 256 if lib > 0xF0 else lib
            elif imports_format == 3:  # DYLD_CHAINED_IMPORT_ADDEND64
                (raw, _addend) = struct.unpack_from("<QQ", data, off + imports_off + 16 * i)
                lib, name_off = raw & 0xFFFF, raw >> 32
                lib = lib - 65536 if lib > 0xFFF0 else lib
            else:
                raise MachOError(f"chained import format {imports_format} not supported")
            start = off + symbols_off + name_off
            name = data[start:data.index(b"\0", start)].decode("utf-8", "replace")
            imports.append((name, self.dylib_name(lib)))

        starts = off + starts_off
        (seg_count,) = struct.unpack_from("<I", data, starts)
        for seg_index in range(seg_count):
            (info_off,) = struct.unpack_from("<I", data, starts + 4 + 4 * seg_index)
            if info_off:
                self._walk_segment(starts + info_off, seg_index, imports)

    def _walk_segment(self, at, seg_index, imports):
        data = self.data
        (_size, page_size, pointer_format, _seg_offset, _max_valid, page_count) = (
            struct.unpack_from("<IHHQIH", data, at)
        )
        # DYLD_CHAINED_PTR_64 (2) holds addresses, DYLD_CHAINED_PTR_64_OFFSET
        # (6) offsets from the image base; both step in units of 4 bytes.
        if pointer_format not in (2, 6):
            raise MachOError(f"chained pointer format {pointer_format} not supported (arm64e?)")
        seg = self.segments[seg_index]
        for page in range(page_count):
            (start,) = struct.unpack_from("<H", data, at + 22 + 2 * page)
            if start == 0xFFFF:  # DYLD_CHAINED_PTR_START_NONE
                continue
            file_at = seg.fileoff + page * page_size + start
            while True:
                (raw,) = struct.unpack_from("<Q", data, file_at)
                address = seg.vmaddr + (file_at - seg.fileoff)
                if raw >> 63:  # bind
                    name, dylib = imports[raw & 0xFFFFFF]
                    self.binds.append((address, name, dylib))
                else:  # rebase: target:36, high8:8
                    # The slide goes into the low bits only: high8 is the top
                    # byte of the pointer, and target + slide never reaches it.
                    target = raw & 0xFFFFFFFFF
                    if pointer_format == 6:
                        target += self.base
                    self.rebases.append((address, target | ((raw >> 36) & 0xFF) << 56))
                next_stride = (raw >> 51) & 0xFFF
                if not next_stride:
                    break
                file_at += next_stride * 4


class _Leb:
    """Reads LEB128 numbers (loader.h's ULEB/SLEB operands) from `pos` on."""

    def __init__(self, data, pos):
        self.data = data
        self.pos = pos

    def _bits(self):
        """The 7-bit groups up to the byte without the high bit: the value,
        its width in bits, and that last byte (its 0x40 is an SLEB's sign)."""
        value, shift = 0, 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value, shift, byte

    def uleb(self):
        return self._bits()[0]

    def sleb(self):
        value, shift, last = self._bits()
        return value - (1 << shift) if last & 0x40 else value
