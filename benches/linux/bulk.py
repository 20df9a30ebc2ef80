#!/usr/bin/env python3
"""One bulk TCP transfer through the relay, measured at the receiver.

    bulk.py sink SECONDS          in netns srv: accept one connection on
                                  10.9.0.2:5001, count what arrives for SECONDS
    bulk.py source SECONDS CC     in netns cli: connect with congestion control
                                  CC (reno, cubic, bbr) and send for SECONDS + 1
"""
import socket
import struct
import sys
import time


def sink(seconds):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.9.0.2", 5001))
    s.listen(1)
    c, _ = s.accept()
    c.settimeout(0.5)
    start, received = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        try:
            data = c.recv(1 << 16)
        except socket.timeout:
            continue
        if not data:
            break
        received += len(data)
    print(f"goodput {received * 8 / seconds / 1e6:.3f} Mbit/s ({received} bytes in {seconds} s)")


def source(seconds, cc):
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    s.connect(("10.9.0.2", 5001))
    s.settimeout(1.0)
    data, start = b"x" * (1 << 16), time.monotonic()
    while time.monotonic() - start < seconds + 1:
        try:
            s.send(data)
        except socket.timeout:
            pass
        except OSError:
            break
    # struct tcp_info: tcpi_total_retrans is the u32 at byte 100.
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    print(f"retransmissions {struct.unpack_from('I', info, 100)[0]}")
    s.close()


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "sink":
        sink(float(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "source":
        source(float(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__)
