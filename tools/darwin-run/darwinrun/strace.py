"""Formatting for --strace lines, in the style of Linux strace."""

from . import xnu

STRING_LIMIT = 32  # strace's default -s 32

_ESCAPES = {ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r", ord("\v"): "\\v",
            ord("\f"): "\\f", ord('"'): '\\"', ord("\\"): "\\\\"}


def quote(data, limit=STRING_LIMIT):
    """A C string literal for bytes, cut after `limit` bytes as strace does."""
    shown = data if limit is None else data[:limit]
    out = []
    for i, byte in enumerate(shown):
        if byte in _ESCAPES:
            out.append(_ESCAPES[byte])
        elif 32 <= byte < 127:
            out.append(chr(byte))
        else:
            # Octal, as short as the next character allows.
            following = shown[i + 1] if i + 1 < len(shown) else None
            if following is not None and 0x30 <= following <= 0x37:
                out.append(f"\\{byte:03o}")
            else:
                out.append(f"\\{byte:o}")
    text = '"' + "".join(out) + '"'
    if limit is not None and len(data) > limit:
        text += "..."
    return text


def flags(value, table, zero="0"):
    """`A|B|0x40` from (bit, name, ...) rows."""
    names = []
    for row in table:
        bit, name = row[0], row[1]
        if value & bit:
            names.append(name)
            value &= ~bit
    if value:
        names.append(f"{value:#x}")
    return "|".join(names) if names else zero


def open_flags(value):
    access = {0: "O_RDONLY", 1: "O_WRONLY", 2: "O_RDWR"}.get(value & xnu.O_ACCMODE,
                                                            f"{value & 3:#x}")
    rest = flags(value & ~xnu.O_ACCMODE, xnu.O_FLAGS, zero="")
    return access + ("|" + rest if rest else "")


def signal_name(number):
    return xnu.DARWIN_SIGNALS.get(number, str(number))


def error(number):
    return f"-1 {xnu.DARWIN_ERRNO.get(number, '?')} ({number})"


def fd(value):
    return "AT_FDCWD" if value == xnu.AT_FDCWD else str(value)


def pointer(value):
    return "NULL" if value == 0 else f"{value:#x}"


def sockaddr(data):
    """A Darwin-layout socket address, fields as the bytes say."""
    if len(data) < 2:
        return f"{{{quote(data)}}}"
    sa_len, family = data[0], data[1]
    head = f"sa_len={sa_len}, sa_family={xnu.AF_NAMES.get(family, family)}"
    if family == xnu.AF_INET and len(data) >= 8:
        port = int.from_bytes(data[2:4], "big")
        addr = ".".join(str(b) for b in data[4:8])
        return f'{{{head}, sin_port=htons({port}), sin_addr=inet_addr("{addr}")}}'
    return f"{{{head}, sa_data={quote(bytes(data[2:]))}}}"
