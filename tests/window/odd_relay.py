#!/usr/bin/env python3
"""odd_relay.py PORT_A PORT_B SIDE_A SIDE_B COUNTS - a loopback relay between
two vcalld that makes one side's video odd-sized on the wire.

vcalld A (--peer 127.0.0.1:SIDE_A) and vcalld B (--peer 127.0.0.1:SIDE_B)
each talk to this relay as their peer; every datagram is passed on, from
SIDE_B to B and from SIDE_A to A, so each daemon sees its peer's address.
B's camera cannot be odd-sized (capture and the VP8 encoder take even
sizes), so B sends 322x242 and the relay rewrites the size in the header of
each VP8 keyframe (RFC 6386 9.1: 14-bit width and height after the start
code) to 321x241.  That is a valid VP8 stream of a 321x241 picture: the
macroblocks (21 x 16) are the same, the decoder just crops one column and
one row, exactly as for a sender that encodes 321x241.  On SIGTERM it writes
"keyframes patched, datagrams each way" to COUNTS."""

import select
import signal
import socket
import struct
import sys

FROM_W, FROM_H, TO_W, TO_H = 322, 242, 321, 241


def vp8_payload_offset(d):
    """Offset of the VP8 payload in an RTP packet of payload type 96, or
    None if it is not one or is not the start of a frame."""
    if len(d) < 12 or d[0] >> 6 != 2 or d[1] & 0x7F != 96:
        return None
    off = 12 + 4 * (d[0] & 0x0F)
    if d[0] & 0x10:
        if len(d) < off + 4:
            return None
        off += 4 + 4 * struct.unpack("!H", d[off + 2:off + 4])[0]
    if len(d) <= off:
        return None
    desc = d[off]
    off += 1
    if desc & 0x80:  # X: extension byte, then PictureID, TL0PICIDX, TID/KEYIDX
        x = d[off]
        off += 1
        if x & 0x80:
            off += 2 if d[off] & 0x80 else 1
        if x & 0x40:
            off += 1
        if x & 0x30:
            off += 1
    if not desc & 0x10 or desc & 0x07:  # S=1 and partition 0: the frame header
        return None
    return off


def patch(d, counts):
    off = vp8_payload_offset(d)
    if off is None or len(d) < off + 10 or d[off] & 0x01 or d[off + 3:off + 6] != b"\x9d\x01\x2a":
        return d
    w, h = struct.unpack("<HH", d[off + 6:off + 10])
    if (w & 0x3FFF, h & 0x3FFF) != (FROM_W, FROM_H):
        counts["unexpected"] += 1
        return d
    counts["patched"] += 1
    out = bytearray(d)
    out[off + 6:off + 10] = struct.pack("<HH", (w & 0xC000) | TO_W, (h & 0xC000) | TO_H)
    return bytes(out)


def main():
    port_a, port_b, side_a, side_b, counts_path = sys.argv[1:6]
    to_a, to_b = ("127.0.0.1", int(port_a)), ("127.0.0.1", int(port_b))
    sa = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sa.bind(("127.0.0.1", int(side_a)))
    sb = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sb.bind(("127.0.0.1", int(side_b)))
    for s in (sa, sb):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    counts = {"patched": 0, "unexpected": 0, "a_to_b": 0, "b_to_a": 0}
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    while running[0]:
        try:
            ready, _, _ = select.select([sa, sb], [], [], 0.1)
        except InterruptedError:
            continue
        for s in ready:
            data, src = s.recvfrom(2048)
            if s is sa and src == to_a:
                sb.sendto(data, to_b)
                counts["a_to_b"] += 1
            elif s is sb and src == to_b:
                sa.sendto(patch(data, counts), to_a)
                counts["b_to_a"] += 1
    with open(counts_path, "w") as f:
        f.write("%(patched)d keyframes patched (%(unexpected)d of another size), "
                "%(a_to_b)d datagrams A->B, %(b_to_a)d B->A\n" % counts)


if __name__ == "__main__":
    main()
