#!/usr/bin/env python3
"""The trust boundary of a running vcalld, over a real socket: a fake peer
(this process, on the peer's address) sends media and RTCP, then the inputs
that used to break a call: a forged BYE, an SR that lies, a NACK for a
thousand packets, an oversize datagram, a compound that does not start with
SR/RR, duplicates and late packets.  Run by ctest as daemon.trust."""

import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

from test_daemon import VCALLD, free_port, read_stats, rtcp_types, rtp

PEER_AUDIO_SSRC = 0x0A0D1000
PEER_RTCP_SSRC = PEER_AUDIO_SSRC


def ntp(t):
    """CLOCK_MONOTONIC seconds as 64-bit NTP (vcalld's "NTP" timeline)."""
    sec = int(t)
    return (sec << 32) | int((t - sec) * (1 << 32))


def rtp_abs(pt, seq, ts, ssrc, payload, capture_t):
    """RTP with the abs-capture-time extension (id 1, one-byte form)."""
    ext = b"\xbe\xde\x00\x03" + bytes([0x17]) + struct.pack("!Q", ntp(capture_t)) + bytes(3)
    return struct.pack("!BBHII", 0x90, pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + ext + payload


def rtcp_rr(ssrc):
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def rtcp_sr(ssrc, t, rtp_ts, packets=0, octets=0):
    return struct.pack("!BBHIQIII", 0x80, 200, 6, ssrc, ntp(t), rtp_ts & 0xFFFFFFFF, packets, octets)


def rtcp_bye(ssrc):
    return struct.pack("!BBHI", 0x81, 203, 1, ssrc)


def rtcp_sdes(ssrc, cname=b"fake@peer"):
    item = bytes([1, len(cname)]) + cname
    chunk = struct.pack("!I", ssrc) + item + b"\x00"
    chunk += bytes((-len(chunk)) % 4)
    return struct.pack("!BBH", 0x81, 202, len(chunk) // 4) + chunk


def rtcp_nack(sender, media, entries):
    fci = b"".join(struct.pack("!HH", pid & 0xFFFF, blp) for pid, blp in entries)
    return struct.pack("!BBHII", 0x81, 205, 2 + len(entries), sender, media) + fci


OPUS = b"\xf8" + bytes(40)  # a CELT 20 ms frame: decodable, quiet


class Peer:
    """vcalld against this fake peer, which streams 20 ms audio packets
    (abs-capture-time honest) and an SR every 500 ms from its own thread."""

    def __init__(self, d, extra=()):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.dport = free_port()
        self.dst = ("127.0.0.1", self.dport)
        self.stats_path = f"{d}/s.jsonl"
        self.log = open(f"{d}/log", "w")
        self.proc = subprocess.Popen(
            [VCALLD, "--listen", f"127.0.0.1:{self.dport}",
             "--peer", f"127.0.0.1:{self.sock.getsockname()[1]}",
             "--video-source", "testsrc", "--audio-source", "tone",
             "--video-sink", "null", "--audio-sink", "null",
             "--size", "320x240", "--fps", "30", "--stats", self.stats_path, *extra],
            stderr=self.log)
        self.seq, self.ts = 1000, 5000
        self.lock = threading.Lock()
        self.skip_seq = None
        self.stop = threading.Event()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        time.sleep(0.3)
        self.pump.start()

    def _pump(self):
        t0 = time.monotonic()
        n = 0
        while not self.stop.is_set():
            now = time.monotonic()
            with self.lock:
                if self.seq != self.skip_seq:
                    self.sock.sendto(rtp_abs(111, self.seq, self.ts, PEER_AUDIO_SSRC, OPUS, now), self.dst)
                if n % 25 == 0:
                    self.sock.sendto(rtcp_sr(PEER_RTCP_SSRC, now, self.ts) + rtcp_sdes(PEER_RTCP_SSRC),
                                     self.dst)
                self.seq += 1
                self.ts += 960
            n += 1
            time.sleep(max(0.0, t0 + n * 0.02 - time.monotonic()))

    def send(self, data):
        with self.lock:
            self.sock.sendto(data, self.dst)

    def last(self):
        rows = read_stats(self.stats_path) if os.path.exists(self.stats_path) else []
        return rows[-1] if rows else None

    def wait_stats(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            try:
                row = self.last()
            except ValueError:  # a line being written
                row = None
            if row and pred(row):
                return row
            time.sleep(0.2)
        return None

    def close(self):
        self.stop.set()
        self.pump.join(timeout=2)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.sock.close()
        self.log.close()
        return rc


class TrustBoundary(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.peer = Peer(self.dir.name)
        row = self.peer.wait_stats(lambda r: r["state"] == "connected" and r["audio_in"]["packets"] > 20, 8)
        self.assertIsNotNone(row, "the daemon never took the fake peer's audio")

    def tearDown(self):
        rc = self.peer.close()
        self.dir.cleanup()
        self.assertEqual(rc, 0)

    def test_forged_bye_is_ignored_real_bye_ends(self):
        self.peer.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(0xDEADBEEF))
        row = self.peer.wait_stats(lambda r: r["rejected"]["bye_unknown_ssrc"] >= 1, 4)
        self.assertIsNotNone(row, "a BYE for an unknown SSRC was not counted")
        time.sleep(1.0)
        self.assertIsNone(self.peer.proc.poll(), "a forged BYE ended the call")
        self.assertEqual(self.peer.last()["state"], "connected")
        # Refused whole: a compound whose BYE names the real SSRC but ends in
        # a broken packet does nothing either.
        self.peer.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(PEER_AUDIO_SSRC) + b"\x81\xcb\x00\x09junk")
        time.sleep(1.5)
        self.assertIsNone(self.peer.proc.poll(), "a malformed compound's BYE ended the call")
        # The peer's own BYE ends it.
        self.peer.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(PEER_AUDIO_SSRC))
        self.assertEqual(self.peer.proc.wait(timeout=6), 0)

    def test_lying_sr_is_forgotten(self):
        honest = self.peer.wait_stats(lambda r: r["audio_in"]["e2e_latency_ms"] is not None, 5)
        self.assertIsNotNone(honest)
        before = honest["audio_in"]["e2e_latency_ms"]
        self.assertLess(before, 300)
        # One SR whose clock is 2 s ahead of the truth.
        self.peer.send(rtcp_sr(PEER_RTCP_SSRC, time.monotonic() + 2.0, self.peer.ts))
        t_lie = time.time()
        bad = self.peer.wait_stats(lambda r: (r["audio_in"]["e2e_latency_ms"] or 0) > 1500, 4)
        self.assertIsNotNone(bad, "the lying SR was not even used (the test would prove nothing)")
        # It ages out of the 8 x 2 s window while honest SRs keep coming.
        good = self.peer.wait_stats(lambda r: (r["audio_in"]["e2e_latency_ms"] or 1e9) < before + 100, 22)
        self.assertIsNotNone(good, "one bogus SR poisoned the latency for good")
        self.assertLess(time.time() - t_lie, 20.0)

    def test_nack_for_a_thousand_packets(self):
        # Collect the daemon's video: its SSRC and what it sent.
        seen, vssrc, end = {}, None, time.time() + 1.5
        while time.time() < end:
            try:
                data, _ = self.peer.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if len(data) >= 12 and data[1] & 0x7F == 96:
                seq, ssrc = struct.unpack("!H", data[2:4])[0], struct.unpack("!I", data[8:12])[0]
                vssrc = ssrc
                seen[seq] = len(data)
        self.assertIsNotNone(vssrc, "no video from the daemon")
        self.assertGreater(len(seen), 100)
        last = max(seen, key=lambda s: (s - min(seen)) & 0xFFFF)
        first = (last - 1019) & 0xFFFF
        entries = [((first + 17 * k) & 0xFFFF, 0xFFFF) for k in range(60)]  # 1020 packets
        self.peer.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_nack(PEER_RTCP_SSRC, vssrc, entries))
        resent_bytes, resent, end = 0, 0, time.time() + 0.3
        while time.time() < end:
            try:
                data, _ = self.peer.sock.recvfrom(2048)
            except socket.timeout:
                continue
            if len(data) >= 12 and data[1] & 0x7F == 96 and struct.unpack("!I", data[8:12])[0] == vssrc:
                seq = struct.unpack("!H", data[2:4])[0]
                if seq in seen:
                    resent += 1
                    resent_bytes += len(data)
        # No RTT is known (our RR has no report blocks): a 100 ms round trip
        # is assumed and the budget is its floor, 9600 bytes.
        print(f"NACK for 1020 packets ({len(seen)} in the history): {resent} resent, "
              f"{resent_bytes} bytes")
        self.assertGreater(resent, 0)
        self.assertLessEqual(resent_bytes, 9600)
        row = self.peer.wait_stats(lambda r: r["video_out"]["rtx_over_budget"] >= 1, 3)
        self.assertIsNotNone(row, "the budget was not counted")
        self.assertEqual(row["video_out"]["retransmitted"], resent)

    def test_refusals_are_counted(self):
        base = self.peer.last()["rejected"]
        received = self.peer.last()["rtcp"]["received"]
        # Over the 1200-byte profile: refused unread.
        self.peer.send(rtp(111, 1, 1, PEER_AUDIO_SSRC, bytes(1300 - 12)))
        # A valid compound that starts with SDES: refused whole.
        self.peer.send(rtcp_sdes(PEER_RTCP_SSRC) + rtcp_rr(PEER_RTCP_SSRC))
        row = self.peer.wait_stats(lambda r: r["rejected"]["oversize"] == base["oversize"] + 1 and
                                   r["rejected"]["malformed"] == base["malformed"] + 1, 4)
        self.assertIsNotNone(row, self.peer.last()["rejected"])
        # Duplicates: the same packet twice while it is buffered.
        with self.peer.lock:
            dup = rtp_abs(111, self.peer.seq, self.peer.ts, PEER_AUDIO_SSRC, OPUS, time.monotonic())
            self.peer.sock.sendto(dup, self.peer.dst)
            self.peer.sock.sendto(dup, self.peer.dst)
            self.peer.seq += 1
            self.peer.ts += 960
        # Late: a packet held back until its time has been concealed.
        with self.peer.lock:
            late_seq, late_ts = self.peer.seq + 5, self.peer.ts + 5 * 960
            self.peer.skip_seq = late_seq
        time.sleep(1.0)
        self.peer.send(rtp_abs(111, late_seq, late_ts, PEER_AUDIO_SSRC, OPUS, time.monotonic() - 0.9))
        row = self.peer.wait_stats(lambda r: r["rejected"]["duplicate"] >= base["duplicate"] + 1 and
                                   r["rejected"]["late"] >= base["late"] + 1, 4)
        self.assertIsNotNone(row, self.peer.last()["rejected"])
        self.assertGreaterEqual(row["rtcp"]["received"], received)
        self.assertIsNone(self.peer.proc.poll())



class LostBye(unittest.TestCase):
    """Both ends hang up at once and the peer's BYE is lost: the daemon
    stops waiting once its buffers are empty and the peer has been silent
    for 300 ms, and the silence after the call is not counted as concealed
    audio (it used to add 1.5 s of "dropouts" to a lossy call's tail)."""

    def test_hang_up_without_the_peers_bye(self):
        with tempfile.TemporaryDirectory() as d:
            peer = Peer(d, extra=("--duration", "3"))
            try:
                row = peer.wait_stats(lambda r: r["audio_in"]["packets"] > 20, 3)
                self.assertIsNotNone(row)
                # The peer goes quiet when the daemon's duration ends, and
                # never says BYE.
                t_end = None
                deadline = time.time() + 10
                while time.time() < deadline and peer.proc.poll() is None:
                    try:
                        data, _ = peer.sock.recvfrom(2048)
                    except socket.timeout:
                        continue
                    if len(data) >= 8 and 192 <= data[1] <= 223 and 203 in rtcp_types(data) and t_end is None:
                        t_end = time.time()  # the daemon's BYE: it hung up
                        peer.stop.set()
                rc = peer.proc.wait(timeout=10)
                t_exit = time.time()
            finally:
                peer.close()
            self.assertEqual(rc, 0)
            self.assertIsNotNone(t_end, "no BYE from the daemon")
            print(f"exit {1000 * (t_exit - t_end):.0f} ms after its BYE")
            self.assertLess(t_exit - t_end, 1.0)
            rows = read_stats(f"{d}/s.jsonl")
            self.assertEqual(rows[-1]["state"], "ended")
            self.assertLess(rows[-1]["audio_in"]["concealed_ms"] - rows[-2]["audio_in"]["concealed_ms"], 100)


if __name__ == "__main__":
    unittest.main()
