#!/usr/bin/env python3
"""The dumbbell of benches/ns3 in user space, for the Linux kernel's own TCP.

relay.py LOSS SEED SECONDS makes the TUN devices tun_c and tun_s (run.sh moves
them into the network namespaces cli and srv) and forwards packets between them
for SECONDS. Each direction: a drop-tail queue of 100 waiting packets in front
of a 10 Mbit/s link (the packet being sent not counted, as netsim's `100p`),
then 20 ms + 2 ms (the two 1 ms access links) of delay. A packet of the
client->server direction that leaves the bottleneck is lost with probability
LOSS (netsim's loss_forward), drawn from a generator seeded with SEED."""
import fcntl
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Direction:
    def __init__(self, out_fd, loss, rng):
        self.out_fd = out_fd
        self.loss = loss
        self.rng = rng
        self.waiting = []  # packets queued behind the one being sent
        self.sending = None  # (done_at, packet)
        self.flying = []  # (arrive_at, packet), in order
        self.drops = 0
        self.lost = 0
        self.sent = 0

    def offer(self, now, pkt):
        if self.sending is None:
            self.sending = (now + len(pkt) * 8 / 10e6, pkt)
        elif len(self.waiting) >= 100:
            self.drops += 1
        else:
            self.waiting.append(pkt)

    def next_time(self):
        times = []
        if self.sending:
            times.append(self.sending[0])
        if self.flying:
            times.append(self.flying[0][0])
        return min(times) if times else None

    def advance(self, now):
        while self.sending and self.sending[0] <= now:
            done, pkt = self.sending
            self.sent += 1
            if self.loss and self.rng.random() < self.loss:
                self.lost += 1
            else:
                self.flying.append((done + 0.022, pkt))
            if self.waiting:
                nxt = self.waiting.pop(0)
                self.sending = (done + len(nxt) * 8 / 10e6, nxt)
            else:
                self.sending = None
        while self.flying and self.flying[0][0] <= now:
            _, pkt = self.flying.pop(0)
            try:
                os.write(self.out_fd, pkt)
            except BlockingIOError:
                pass


def main():
    loss, seed, seconds = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    fc, fs = tun("tun_c"), tun("tun_s")
    print("ready", flush=True)
    rng = random.Random(seed)
    up = Direction(fs, loss, rng)  # client -> server: data
    down = Direction(fc, 0.0, rng)  # server -> client: ACKs
    end = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now > end:
            break
        up.advance(now)
        down.advance(now)
        nexts = [t for t in (up.next_time(), down.next_time()) if t is not None]
        timeout = max(0.0, min(nexts) - now) if nexts else 0.05
        ready, _, _ = select.select([fc, fs], [], [], min(timeout, 0.05))
        now = time.monotonic()
        for fd in ready:
            while True:
                try:
                    pkt = os.read(fd, 65535)
                except BlockingIOError:
                    break
                (up if fd == fc else down).offer(now, pkt)
    print(f"data: {up.sent} sent, {up.drops} dropped, {up.lost} lost; "
          f"ACKs: {down.sent} sent, {down.drops} dropped", flush=True)


if __name__ == "__main__":
    main()
