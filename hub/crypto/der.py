"""Just enough DER (ASN.1's distinguished encoding) to write and read a CMS signature.

`cryptography` builds certificates and revocation lists itself; for the CMS
SignedData of a stamping we write the structure here so that its signing time
is the hub's clock (tests and demos run on a fake one) and read it back to
verify. Single-byte tags and definite lengths only, as DER requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SEQUENCE, SET, INTEGER, OCTET_STRING, NULL, OID = 0x30, 0x31, 0x02, 0x04, 0x05, 0x06
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18


class DerError(ValueError):
    """Not the DER we expected."""


# -- writing ------------------------------------------------------------------------------

def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _length(len(content)) + content


def seq(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    """A SET OF: DER orders the encoded elements."""
    return tlv(SET, b"".join(sorted(parts)))


def context(number: int, content: bytes) -> bytes:
    """[number], constructed (EXPLICIT, or IMPLICIT over a constructed type)."""
    return tlv(0xA0 | number, content)


def integer(n: int) -> bytes:
    size = (n.bit_length() + 8) // 8          # room for the sign bit
    return tlv(INTEGER, n.to_bytes(size, "big", signed=True))


def octet_string(data: bytes) -> bytes:
    return tlv(OCTET_STRING, data)


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return tlv(OID, bytes(out))


def algorithm(dotted: str) -> bytes:
    """An AlgorithmIdentifier with its parameters absent (as for SHA-2 and ECDSA)."""
    return seq(oid(dotted))


def time(when: datetime) -> bytes:
    """UTCTime until 2049, GeneralizedTime after (RFC 5280's rule), to the second."""
    when = when.astimezone(UTC)
    if 1950 <= when.year < 2050:
        return tlv(UTC_TIME, when.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(GENERALIZED_TIME, when.strftime("%Y%m%d%H%M%SZ").encode())


# -- reading ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    tag: int
    raw: bytes          # the whole encoding, tag and length included
    content: bytes

    def children(self) -> list[Node]:
        out, pos = [], 0
        while pos < len(self.content):
            node, pos = read(self.content, pos)
            out.append(node)
        return out


def read(data: bytes, pos: int = 0) -> tuple[Node, int]:
    """The element starting at `pos`, and where the next one starts."""
    try:
        tag = data[pos]
        if tag & 0x1F == 0x1F:
            raise DerError("multi-byte tags are not used here")
        first = data[pos + 1]
        start = pos + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise DerError("indefinite or oversized length")
            length = int.from_bytes(data[start:start + count], "big")
            start += count
    except IndexError:
        raise DerError("truncated") from None
    end = start + length
    if end > len(data):
        raise DerError("truncated")
    return Node(tag, bytes(data[pos:end]), bytes(data[start:end])), end


def parse(data: bytes) -> Node:
    node, end = read(data, 0)
    if end != len(data):
        raise DerError("trailing bytes")
    return node


def expect(node: Node, tag: int) -> Node:
    if node.tag != tag:
        raise DerError(f"expected tag 0x{tag:02x}, found 0x{node.tag:02x}")
    return node


def read_oid(node: Node) -> str:
    expect(node, OID)
    arcs, value = [], 0
    for byte in node.content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    if not arcs:
        raise DerError("empty OID")
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - first * 40, *arcs[1:]])


def read_int(node: Node) -> int:
    return int.from_bytes(expect(node, INTEGER).content, "big", signed=True)


def read_time(node: Node) -> datetime:
    text = node.content.decode("ascii", "replace")
    try:
        if node.tag == UTC_TIME:
            when = datetime.strptime(text, "%y%m%d%H%M%SZ")
            if when.year >= 2050:                       # RFC 5280: YY >= 50 means 19YY
                when = when.replace(year=when.year - 100)
        elif node.tag == GENERALIZED_TIME:
            when = datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            raise DerError("not a time")
    except ValueError:
        raise DerError(f"bad time {text!r}") from None
    return when.replace(tzinfo=UTC)
