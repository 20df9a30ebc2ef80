#!/usr/bin/env python3
"""Bulk TCP transfers through the relay, measured at the receiver.

    bulk.py sink SECONDS FLOWS           in netns srv: accept FLOWS connections on
                                         10.9.0.2:5001, count what arrives on each
                                         for SECONDS after the first one opens
    bulk.py source SECONDS FLOWS STAGGER_US CC
                                         in netns cli: open FLOWS connections,
                                         connection i at i * STAGGER_US µs, with
                                         congestion control CC (reno, cubic, bbr),
                                         and keep each sending for SECONDS + 1

The sink prints the total goodput, Jain's index over the connections' bytes and
how many received nothing; the source the connections' retransmissions
(tcpi_total_retrans).
"""
import selectors
import socket
import struct
import sys
import time

ADDRESS = ("10.9.0.2", 5001)


def sink(seconds, flows):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(ADDRESS)
    listener.listen(4096)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    received = {}
    start = None
    while start is None or time.monotonic() - start < seconds:
        for key, _ in sel.select(timeout=0.2):
            if key.fileobj is listener:
                while len(received) < flows:
                    try:
                        conn, _ = listener.accept()
                    except BlockingIOError:
                        break
                    conn.setblocking(False)
                    received[conn.fileno()] = 0
                    sel.register(conn, selectors.EVENT_READ)
                    start = start or time.monotonic()
                continue
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            if data:
                received[key.fileobj.fileno()] += len(data)
            else:
                sel.unregister(key.fileobj)
    counts = list(received.values()) + [0] * (flows - len(received))
    total = sum(counts)
    squares = sum(c * c for c in counts)
    jain = total * total / len(counts) / squares if squares else 0.0
    print(f"goodput {total * 8 / seconds / 1e6:.3f} Mbit/s ({total} bytes in {seconds} s), "
          f"jain {jain:.3f}, starved {sum(1 for c in counts if c == 0)}")


def source(seconds, flows, stagger_us, cc):
    sel = selectors.DefaultSelector()
    data = b"x" * (1 << 16)
    socks = []
    start = time.monotonic()
    end = start + stagger_us * flows / 1e6 + seconds + 1
    while time.monotonic() < end:
        due = min(flows, int((time.monotonic() - start) * 1e6 / stagger_us) + 1
                  if stagger_us else flows)
        while len(socks) < due:
            s = socket.socket()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
            s.setblocking(False)
            s.connect_ex(ADDRESS)
            sel.register(s, selectors.EVENT_WRITE)
            socks.append(s)
        for key, _ in sel.select(timeout=0.01):
            try:
                key.fileobj.send(data)
            except (BlockingIOError, ConnectionError, OSError):
                pass
    # struct tcp_info: tcpi_total_retrans is the u32 at byte 100.
    retrans = sum(struct.unpack_from("I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256),
                                     100)[0] for s in socks)
    print(f"retransmissions {retrans}")
    for s in socks:
        s.close()


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "sink":
        sink(float(args[1]), int(args[2]))
    elif len(args) == 5 and args[0] == "source":
        source(float(args[1]), int(args[2]), float(args[3]), args[4])
    else:
        sys.exit(__doc__)
