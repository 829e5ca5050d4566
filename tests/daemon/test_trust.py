#!/usr/bin/env python3
"""The trust boundary of a running vcalld, over a real socket: a fake peer
(this process, on the peer's address) streams audio with abs-capture-time
and SRs, records everything the daemon sends back, and then sends the
inputs that used to break a call: forged BYEs, an SR that lies, NACKs for a
thousand packets (with an honest and a lying round trip), an oversize
datagram, compounds that do not start with SR/RR or end in a broken packet,
duplicates and late packets.  Run by ctest as daemon.trust.

Where a refusal must be counted and nothing else, the fake peer pauses its
RTCP (its audio keeps the call alive) and compares two stats rows taken
before and after the datagram, every rejected.* field and rtcp.received."""

import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
from contextlib import contextmanager

from test_daemon import VCALLD, free_port, read_stats, rtcp_types, rtp

PEER_AUDIO_SSRC = 0x0A0D1000
PEER_VIDEO_SSRC = 0x0A0D2000
PEER_RTCP_SSRC = PEER_AUDIO_SSRC
VIDEO_KBPS = 1000          # vcalld's default: the resend budget is half of it
MAX_PACKET = 1200          # the wire profile (vc_rtp.h)

HERE = os.path.dirname(os.path.abspath(__file__))


def header_define(path, name):
    """A numeric #define from one of the daemon's headers (so the test
    follows the constants it is about)."""
    with open(os.path.join(HERE, "..", "..", path)) as f:
        m = re.search(r"#define\s+%s\s+(\d+)u?\b" % name, f.read())
    return int(m.group(1))


CLOCKOFF_WINDOW_S = (header_define("daemon/vc_clockoff.h", "VC_CLOCKOFF_BUCKETS") *
                     header_define("daemon/vc_clockoff.h", "VC_CLOCKOFF_BUCKET_US") / 1e6)
CLOCKOFF_BUCKET_S = header_define("daemon/vc_clockoff.h", "VC_CLOCKOFF_BUCKET_US") / 1e6
HIST_BUDGET_MIN = header_define("daemon/vc_sendhist.h", "VC_HIST_BUDGET_MIN")
HIST_DEFAULT_RTT_US = header_define("daemon/vc_sendhist.h", "VC_HIST_DEFAULT_RTT_US")
HIST_MAX_RTT_US = header_define("daemon/vc_sendhist.h", "VC_HIST_MAX_RTT_US")


def ntp(t):
    """CLOCK_MONOTONIC seconds as 64-bit NTP (vcalld's "NTP" timeline)."""
    sec = int(t)
    return (sec << 32) | int((t - sec) * (1 << 32))


def mid32(n):
    return (n >> 16) & 0xFFFFFFFF


def rtp_abs(pt, seq, ts, ssrc, payload, capture_t, marker=False):
    """RTP with the abs-capture-time extension (id 1, one-byte form)."""
    ext = b"\xbe\xde\x00\x03" + bytes([0x17]) + struct.pack("!Q", ntp(capture_t)) + bytes(3)
    return struct.pack("!BBHII", 0x90, (0x80 if marker else 0) | pt, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + ext + payload


def report_block(ssrc, lsr=0, dlsr=0):
    return struct.pack("!IIIIII", ssrc, 0, 0, 0, lsr, dlsr)


def rtcp_rr(ssrc, blocks=()):
    return struct.pack("!BBHI", 0x80 | len(blocks), 201, 1 + 6 * len(blocks), ssrc) + b"".join(blocks)


def rtcp_sr(ssrc, t, rtp_ts, blocks=()):
    return (struct.pack("!BBHIQIII", 0x80 | len(blocks), 200, 6 + 6 * len(blocks), ssrc, ntp(t),
                        rtp_ts & 0xFFFFFFFF, 0, 0) + b"".join(blocks))


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


# A BYE whose length runs past the datagram: the compound is malformed.
BROKEN_TAIL = b"\x81\xcb\x00\x09junk"

OPUS = b"\xf8" + bytes(40)  # a CELT 20 ms frame: decodable, quiet


def vp8_frame(seq, ts):
    """One single-packet VP8 'frame' (descriptor S=1, PID 0; an inter frame
    tag, then filler): it is buffered and played like any frame, the
    decoder just never gets to it before a keyframe."""
    return rtp_abs(96, seq, ts, PEER_VIDEO_SSRC, b"\x10" + b"\x01" + bytes(60), time.monotonic(),
                   marker=True)


def is_rtcp(data):
    return len(data) >= 2 and 192 <= data[1] <= 223


class Peer:
    """vcalld against this fake peer.  One thread streams 20 ms audio
    packets (abs-capture-time honest) and an SR + SDES every 500 ms; another
    records what the daemon sends (its video, its SRs)."""

    def __init__(self, d, extra=()):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
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
             "--video-sink", "null", "--audio-sink", "null", "--video-kbps", str(VIDEO_KBPS),
             "--size", "320x240", "--fps", "30", "--stats", self.stats_path, *extra],
            stderr=self.log)
        self.seq, self.ts = 1000, 5000
        self.lock = threading.Lock()
        self.skip_seq = None
        self.audio_on = True
        self.rtcp_on = True
        self.sent = {}            # audio seq -> datagram, the last second
        self.rx_lock = threading.Lock()
        self.rx = []              # (monotonic arrival, datagram) from the daemon
        self.video = {}           # the daemon's video: seq -> first datagram
        self.vssrc = None
        self.t0 = float("inf")  # the daemon's stats t0 on our clock (see rows)
        self.daemon_sr = None     # (sender SSRC, NTP) of the daemon's last SR
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._pump, daemon=True),
                        threading.Thread(target=self._recv, daemon=True)]
        self.threads[1].start()
        time.sleep(0.3)
        self.threads[0].start()

    def _pump(self):
        t0 = time.monotonic()
        n = 0
        while not self.stop.is_set():
            now = time.monotonic()
            with self.lock:
                if self.audio_on and self.seq != self.skip_seq:
                    pkt = rtp_abs(111, self.seq, self.ts, PEER_AUDIO_SSRC, OPUS, now)
                    self.sock.sendto(pkt, self.dst)
                    self.sent[self.seq & 0xFFFF] = pkt
                    self.sent.pop((self.seq - 50) & 0xFFFF, None)
                if self.rtcp_on and n % 25 == 0:
                    self.sock.sendto(rtcp_sr(PEER_RTCP_SSRC, now, self.ts) + rtcp_sdes(PEER_RTCP_SSRC),
                                     self.dst)
                self.seq += 1
                self.ts += 960
            n += 1
            time.sleep(max(0.0, t0 + n * 0.02 - time.monotonic()))

    def _recv(self):
        while not self.stop.is_set():
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            with self.rx_lock:
                self.rx.append((now, data))
                if is_rtcp(data):
                    if data[1] == 200 and len(data) >= 16:
                        self.daemon_sr = struct.unpack("!IQ", data[4:16])
                elif len(data) >= 12 and data[1] & 0x7F == 96:
                    seq, ssrc = struct.unpack("!HxxxxI", data[2:12])
                    self.vssrc = ssrc
                    self.video.setdefault(seq, data)

    def send(self, data):
        with self.lock:
            self.sock.sendto(data, self.dst)

    @contextmanager
    def no_rtcp(self):
        """The peer's own SRs stop (its audio goes on): rtcp.received then
        counts only what the test sends."""
        with self.lock:
            self.rtcp_on = False
        try:
            yield
        finally:
            with self.lock:
                self.rtcp_on = True

    def rows(self):
        try:
            with open(self.stats_path) as f:
                text = f.read()
        except FileNotFoundError:
            return []
        now = time.monotonic()
        rows = [json.loads(l) for l in text.split("\n")[:-1] if l.strip()]  # whole lines only
        if rows:
            # Rows are snapshots at the daemon's t0 + t_ms; seen no earlier
            # than written, so the smallest "seen - t_ms" bounds its t0 on
            # our clock (the same CLOCK_MONOTONIC) from above.
            self.t0 = min(self.t0, now - rows[-1]["t_ms"] / 1000)
        return rows

    def last(self):
        rows = self.rows()
        return rows[-1] if rows else None

    def wait_stats(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            row = self.last()
            if row and pred(row):
                return row
            time.sleep(0.05)
        return None

    def fresh_row(self):
        """A stats row whose snapshot was certainly taken after this call:
        its t_ms, on our clock, later than now by more than the error of
        the t0 estimate (the poll interval and a margin)."""
        call = time.monotonic()
        end = call + 5
        while time.monotonic() < end:
            rows = self.rows()
            for r in reversed(rows):
                if self.t0 + r["t_ms"] / 1000 - 0.1 > call:
                    return r
            time.sleep(0.02)
        raise AssertionError("no stats rows")

    def rr_with_rtt(self, rtt_s):
        """An RR whose report block on the daemon's last SR makes the daemon
        compute a round trip of rtt_s (DLSR is the peer's to state)."""
        with self.rx_lock:
            ssrc, sr_ntp = self.daemon_sr
        lsr = mid32(sr_ntp)
        dlsr = (mid32(ntp(time.monotonic())) - lsr - int(rtt_s * 65536)) & 0xFFFFFFFF
        return report_block(ssrc, lsr, dlsr)

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=2)
        if self.proc.poll() is None:
            # Both ends hang up: the daemon on a signal, this peer with its
            # BYE (or the daemon would wait out its drain for one).
            self.proc.send_signal(signal.SIGTERM)
            self.sock.sendto(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(PEER_AUDIO_SSRC), self.dst)
        rc = self.proc.wait(timeout=20)
        self.sock.close()
        self.log.close()
        return rc


def rejected_delta(before, after):
    return {k: after["rejected"][k] - before["rejected"][k] for k in before["rejected"]
            if after["rejected"][k] != before["rejected"][k]}


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
        p = self.peer
        self.assertIsNotNone(p.wait_stats(lambda r: p.vssrc is not None, 3), "no video from the daemon")
        forged = PEER_AUDIO_SSRC
        while forged in (PEER_AUDIO_SSRC, p.vssrc):
            forged = random.getrandbits(32)
        # RR + BYE for a random SSRC, from the peer's address.
        print(f"forged BYE for SSRC {forged:#010x}")
        p.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(forged))
        # A BYE that names the daemon's own video SSRC (reflected) is no
        # better.
        p.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(p.vssrc))
        # Refused whole: a compound whose BYE names the real SSRC but ends in
        # a broken packet does nothing either.
        p.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(PEER_AUDIO_SSRC) + BROKEN_TAIL)
        row = p.fresh_row()
        self.assertIsNone(p.proc.poll(), "a forged or malformed BYE ended the call")
        self.assertEqual(row["state"], "connected")
        self.assertEqual({k: v for k, v in row["rejected"].items() if v},
                         {"bye_unknown_ssrc": 2, "malformed": 1})
        # The peer's own BYE, naming its media SSRC, ends the call: it
        # stops sending, as a peer that hangs up does, and vcalld drains
        # what it buffered and exits 0.
        p.stop.set()
        p.threads[0].join(timeout=2)
        t = time.monotonic()
        p.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_bye(PEER_AUDIO_SSRC))
        self.assertEqual(p.proc.wait(timeout=5), 0)
        took = time.monotonic() - t
        print(f"exit {took:.2f} s after the real BYE")
        self.assertLess(took, 3.0)
        self.assertEqual(p.rows()[-1]["state"], "ended")

    def test_lying_sr_is_forgotten(self):
        """One SR whose clock runs lie_s ahead of the truth.  The offset
        estimate is the smallest sample of a window of CLOCKOFF_WINDOW_S in
        buckets of CLOCKOFF_BUCKET_S, so the lie is believed at once (that
        is what makes the test meaningful) and forgotten when its bucket
        ages out: it cannot be tested faster than the window, so the lie is
        sent just before a bucket boundary (the daemon's buckets are
        multiples of the bucket length on CLOCK_MONOTONIC, which this
        process shares), where it lives the shortest time: window - bucket
        + a little."""
        lie_s = 30.0
        p = self.peer
        honest = p.wait_stats(lambda r: r["audio_in"]["e2e_latency_ms"] is not None, 5)
        self.assertIsNotNone(honest)
        before = honest["audio_in"]["e2e_latency_ms"]
        self.assertLess(before, 300)
        phase = time.monotonic() % CLOCKOFF_BUCKET_S
        time.sleep((CLOCKOFF_BUCKET_S - 0.15 - phase) % CLOCKOFF_BUCKET_S)
        t_lie = time.monotonic()
        p.send(rtcp_sr(PEER_RTCP_SSRC, t_lie + lie_s, p.ts))
        bad = p.wait_stats(lambda r: (r["audio_in"]["e2e_latency_ms"] or 0) > lie_s * 1000 / 2, 3)
        self.assertIsNotNone(bad, "the lying SR was not even used (the test would prove nothing)")
        # It ages out while honest SRs keep coming (one every 500 ms).
        expiry = CLOCKOFF_WINDOW_S - CLOCKOFF_BUCKET_S + 0.15
        good = p.wait_stats(lambda r: (r["audio_in"]["e2e_latency_ms"] or 1e9) < before + 100,
                            expiry + 4)
        self.assertIsNotNone(good, "one bogus SR poisoned the latency for good")
        took = time.monotonic() - t_lie
        print(f"lie of {lie_s:.0f} s: e2e {before:.0f} ms -> {bad['audio_in']['e2e_latency_ms']:.0f} ms"
              f" -> {good['audio_in']['e2e_latency_ms']:.0f} ms, {took:.1f} s after the lie"
              f" (sample expires after {expiry:.2f} s)")
        self.assertGreater(took, expiry - 1.0, "forgotten before its window was up")
        # The row with the honest figure is a mean over the second before it.
        self.assertLess(took, expiry + 2.5)

    def nack_and_count(self, budget, window_s=0.0):
        """NACK 1020 packets ending at the daemon's newest video packet (60
        FCI entries, full BLP masks) and return the datagrams it resends.
        window_s: the budget window this NACK is in (the last NACK's must
        be over, or what it spent would count here too)."""
        p = self.peer
        time.sleep(max(0.0, getattr(self, "last_nack", 0.0) + window_s + 0.05 - time.monotonic()))
        with p.rx_lock:
            video = dict(p.video)
            vssrc = p.vssrc
            last = max(video, key=lambda s: (s - min(video)) & 0xFFFF)
        first = (last - 1019) & 0xFFFF
        entries = [((first + 17 * k) & 0xFFFF, 0xFFFF) for k in range(60)]
        nacked = [(first + i) & 0xFFFF for i in range(1020)]
        with p.rx_lock:
            start = len(p.rx)
        t = self.last_nack = time.monotonic()
        p.send(rtcp_rr(PEER_RTCP_SSRC) + rtcp_nack(PEER_RTCP_SSRC, vssrc, entries))
        time.sleep(0.3)
        with p.rx_lock:
            got = p.rx[start:]
        resent = []
        for when, data in got:
            if is_rtcp(data) or len(data) < 12 or data[1] & 0x7F != 96:
                continue
            seq, ssrc = struct.unpack("!HxxxxI", data[2:12])
            if ssrc == vssrc and seq in video and (last - seq) & 0xFFFF < 0x8000:
                self.assertEqual(data, video[seq], "a resend is not the packet sent")
                resent.append((when - t, seq, len(data)))
        # What the budget allows: the NACKed packets still in the history,
        # in NACK order, until the first that does not fit.
        expect, used = [], 0
        for seq in nacked:
            if seq in video:
                if used + len(video[seq]) > budget:
                    break
                used += len(video[seq])
                expect.append(seq)
        return resent, expect, len(video)

    def test_nack_for_a_thousand_packets(self):
        p = self.peer
        self.assertIsNotNone(p.wait_stats(lambda r: len(p.video) > 150 and p.daemon_sr, 4),
                             "no video from the daemon")
        # No round trip known yet (no report block): the default one, and
        # the budget's floor.
        self.assertIsNone(p.last()["rtt_ms"])
        budget = max(HIST_BUDGET_MIN, VIDEO_KBPS * 1000 // 2 // 8 * HIST_DEFAULT_RTT_US // 1000000)
        resent, expect, have = self.nack_and_count(budget)
        nbytes = sum(r[2] for r in resent)
        in_100ms = sum(r[2] for r in resent if r[0] < 0.1)
        print(f"NACK for 1020 packets ({have} sent so far), RTT unknown: {len(resent)} resent, "
              f"{nbytes} bytes ({in_100ms} in the first 100 ms), budget {budget}")
        self.assertEqual([r[1] for r in resent], expect)
        self.assertEqual(in_100ms, nbytes)
        self.assertLessEqual(nbytes, budget)
        self.assertGreater(nbytes, budget - MAX_PACKET)
        row = p.wait_stats(lambda r: r["video_out"]["rtx_over_budget"] >= 1, 3)
        self.assertIsNotNone(row, "the budget was not counted")
        self.assertEqual(row["video_out"]["retransmitted"], len(resent))
        self.assertEqual(row["video_out"]["rtx_over_budget"], 1)

        # A round trip of 400 ms (an honest report block): the budget is
        # what the resend rate allows in one round trip.
        p.send(rtcp_rr(PEER_RTCP_SSRC, [p.rr_with_rtt(0.4)]))
        row = p.wait_stats(lambda r: r["rtt_ms"] is not None, 3)
        self.assertIsNotNone(row, "the report block gave no RTT")
        # The report says 400 ms; the daemon adds the report's own transit
        # and its processing (several ms under ASan on a busy machine).
        self.assertTrue(399 <= row["rtt_ms"] <= 450, row["rtt_ms"])
        rtt_us = int(row["rtt_ms"] * 1000)
        budget = VIDEO_KBPS * 1000 // 2 // 8 * rtt_us // 1000000
        resent, expect, have = self.nack_and_count(budget, rtt_us / 1e6)
        nbytes = sum(r[2] for r in resent)
        print(f"NACK for 1020 packets ({have} sent so far), RTT {row['rtt_ms']} ms: {len(resent)} "
              f"resent, {nbytes} bytes, budget {budget}")
        self.assertLessEqual(nbytes, budget + 10)  # rtt_ms is rounded to 10 us
        self.assertGreater(nbytes, budget - MAX_PACKET - 10)
        self.assertEqual(p.wait_stats(lambda r: r["video_out"]["rtx_over_budget"] >= 2, 3)
                         ["video_out"]["rtx_over_budget"], 2)

        # A round trip the peer lies about (30 s; DLSR is its to state): the
        # budget's window, and so one NACK's burst, is capped at
        # HIST_MAX_RTT_US whatever the report says.
        p.send(rtcp_rr(PEER_RTCP_SSRC, [p.rr_with_rtt(30.0)]))
        row = p.wait_stats(lambda r: (r["rtt_ms"] or 0) > 29000, 3)
        self.assertIsNotNone(row, "the lying report block gave no RTT")
        budget = VIDEO_KBPS * 1000 // 2 // 8 * HIST_MAX_RTT_US // 1000000
        resent, expect, have = self.nack_and_count(budget, HIST_MAX_RTT_US / 1e6)
        nbytes = sum(r[2] for r in resent)
        print(f"NACK for 1020 packets ({have} sent so far), RTT {row['rtt_ms']} ms (a lie): "
              f"{len(resent)} resent, {nbytes} bytes, budget {budget}")
        self.assertLessEqual(nbytes, budget)
        self.assertGreater(nbytes, budget - MAX_PACKET)
        self.assertEqual(p.wait_stats(lambda r: r["video_out"]["rtx_over_budget"] >= 3, 3)
                         ["video_out"]["rtx_over_budget"], 3)

    def test_refusals_are_counted_alone(self):
        p = self.peer
        with p.no_rtcp():
            # Over the 1200-byte profile: refused unread, and nothing else.
            before = p.fresh_row()
            p.send(rtp(111, (p.seq + 3) & 0xFFFF, p.ts + 3 * 960, PEER_AUDIO_SSRC, bytes(1300 - 12)))
            after = p.fresh_row()
            self.assertEqual(rejected_delta(before, after), {"oversize": 1})
            self.assertEqual(after["rtcp"]["received"], before["rtcp"]["received"])

            # A valid compound that starts with SDES: refused whole.
            before = after
            p.send(rtcp_sdes(PEER_RTCP_SSRC) + rtcp_rr(PEER_RTCP_SSRC))
            after = p.fresh_row()
            self.assertEqual(rejected_delta(before, after), {"malformed": 1})
            self.assertEqual(after["rtcp"]["received"], before["rtcp"]["received"])

            # An SR (with a report block giving a 700 ms round trip) then a
            # broken packet: refused whole, the SR changes nothing.
            self.assertIsNotNone(p.wait_stats(lambda r: p.daemon_sr, 2))
            sr = rtcp_sr(PEER_RTCP_SSRC, time.monotonic(), p.ts, [p.rr_with_rtt(0.7)])
            before = after
            self.assertIsNone(before["rtt_ms"])
            p.send(sr + rtcp_sdes(PEER_RTCP_SSRC) + BROKEN_TAIL)
            after = p.fresh_row()
            self.assertEqual(rejected_delta(before, after), {"malformed": 1})
            self.assertEqual(after["rtcp"]["received"], before["rtcp"]["received"])
            self.assertIsNone(after["rtt_ms"], "the SR of a malformed compound was used")

            # The same compound without the broken tail is taken, once.
            before = after
            sr = rtcp_sr(PEER_RTCP_SSRC, time.monotonic(), p.ts, [p.rr_with_rtt(0.7)])
            p.send(sr + rtcp_sdes(PEER_RTCP_SSRC))
            after = p.fresh_row()
            self.assertEqual(rejected_delta(before, after), {})
            self.assertEqual(after["rtcp"]["received"], before["rtcp"]["received"] + 1)
            self.assertTrue(699 <= after["rtt_ms"] <= 750, after["rtt_ms"])  # 700 + transit
        self.assertIsNone(p.proc.poll())

    def test_duplicates_and_late(self):
        p = self.peer
        base = p.fresh_row()
        # Audio: the same packet twice while it is buffered.
        with p.lock:
            dup = rtp_abs(111, p.seq, p.ts, PEER_AUDIO_SSRC, OPUS, time.monotonic())
            p.sock.sendto(dup, p.dst)
            p.sock.sendto(dup, p.dst)
            p.seq += 1
            p.ts += 960
        row = p.fresh_row()
        self.assertEqual(rejected_delta(base, row), {"duplicate": 1})
        # Audio: a packet played 200 ms ago sent again.  The buffer
        # remembers what it played: that too is a duplicate.
        base = row
        with p.lock:
            p.sock.sendto(p.sent[(p.seq - 10) & 0xFFFF], p.dst)
        row = p.fresh_row()
        self.assertEqual(rejected_delta(base, row), {"duplicate": 1})
        # Audio: a packet held back until its time was concealed: late.
        base = row
        with p.lock:
            late_seq, late_ts = p.seq + 5, p.ts + 5 * 960
            p.skip_seq = late_seq
        time.sleep(0.6)
        p.send(rtp_abs(111, late_seq, late_ts, PEER_AUDIO_SSRC, OPUS, time.monotonic() - 0.5))
        row = p.fresh_row()
        self.assertEqual(rejected_delta(base, row), {"late": 1})

        # Video (a second stream from the peer): ten frames at 30 fps, the
        # third sent twice at once (duplicate); once they are played, the
        # first again (late: its timestamp is behind what was played).
        base = row
        frames = [vp8_frame(40000 + i, 900000 + 3000 * i) for i in range(10)]
        for i, f in enumerate(frames):
            p.send(f)
            if i == 2:
                p.send(f)
            time.sleep(1 / 30)
        self.assertIsNotNone(p.wait_stats(lambda r: r["video_in"]["frames_dropped"] >= 9, 3),
                             "the peer's video frames were never played")
        p.send(frames[0])
        row = p.fresh_row()
        self.assertEqual(rejected_delta(base, row), {"duplicate": 1, "late": 1})
        self.assertEqual(row["video_in"]["packets"] - base["video_in"]["packets"], 12)
        self.assertIsNone(p.proc.poll())


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
                t_bye, seen, deadline = None, 0, time.time() + 10
                while t_bye is None and time.time() < deadline:
                    with peer.rx_lock:
                        new, seen = peer.rx[seen:], len(peer.rx)
                    for _, data in new:
                        if is_rtcp(data) and 203 in rtcp_types(data):
                            t_bye = time.time()  # the daemon hung up
                    time.sleep(0.005)
                # The peer goes quiet at once and never says BYE.
                with peer.lock:
                    peer.audio_on = peer.rtcp_on = False
                rc = peer.proc.wait(timeout=10)
                t_exit = time.time()
            finally:
                peer.close()
            self.assertEqual(rc, 0)
            self.assertIsNotNone(t_bye, "no BYE from the daemon")
            print(f"exit {1000 * (t_exit - t_bye):.0f} ms after its BYE")
            self.assertLess(t_exit - t_bye, 1.0)
            rows = read_stats(f"{d}/s.jsonl")
            self.assertEqual(rows[-1]["state"], "ended")
            self.assertLess(rows[-1]["audio_in"]["concealed_ms"] - rows[-2]["audio_in"]["concealed_ms"], 100)


if __name__ == "__main__":
    unittest.main()
