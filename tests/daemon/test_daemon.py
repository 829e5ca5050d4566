#!/usr/bin/env python3
"""Daemon-level tests of vcalld: command line errors, IPv4/IPv6 calls,
clean shutdown on signals with complete files, and hostile datagrams sent
at a running daemon.  Run: VCALLD=build/daemon/vcalld python3 -m unittest
tests/daemon/test_daemon.py (ctest does this)."""

import json
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import wave

VCALLD = os.environ.get("VCALLD", "build/daemon/vcalld")


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_stats(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def run_fail(args):
    p = subprocess.run([VCALLD] + args, capture_output=True, text=True, timeout=20)
    return p.returncode, p.stderr.strip()


def rtp(pt, seq, ts, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | pt, seq, ts, ssrc) + payload


def rtcp_types(data):
    """Packet types in an RTCP compound, as bytes (stops at a bad length)."""
    out, off = bytearray(), 0
    while len(data) - off >= 4:
        out.append(data[off + 1])
        off += 4 * (struct.unpack("!H", data[off + 2:off + 4])[0] + 1)
    return bytes(out)


def rtcp_rr(ssrc):
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


# The literal hostile datagrams of issue #2, each meant to be dropped and
# counted (malformed, unknown payload type or unknown SSRC), never to crash.
HOSTILE = (
    [bytes(range(n)) for n in range(0, 12)]                       # 0..11 bytes
    + [
        b"\x40" + bytes(11) + b"payload",                         # version 1
        b"\x8f\x60" + bytes(10),                                  # CC=15 in 12 bytes
        b"\x90\x60" + bytes(10) + b"\xbe",                        # X with < 4 bytes left
        b"\x90\x60" + bytes(10) + b"\xbe\xde\xff\xff" + b"x" * 8,   # ext length 0xFFFF
        b"\xa0\x60" + bytes(10) + b"abc\x00",                     # pad count 0
        b"\xa0\x60" + bytes(10) + b"abc\x09",                     # pad > payload
        b"\xa0\x60" + bytes(10) + b"\x00\x00\x00\x10",            # pad = whole packet
        b"\x80\x60" + bytes(10),                                  # header is everything
        rtp(77, 1, 1, 0x1234, b"x" * 20),                         # unknown PT
    ]
    + [rtp(pt, 1, 1, 0x1234, b"x" * 20, marker=True) for pt in range(72, 77)]
    + [
        rtp(96, 1, 1, 0x5555, b"\x80"),                           # VP8 1 byte, X set
        rtp(96, 2, 1, 0x5555, b"\x80\x80"),                       # X + I, no PictureID
        rtp(96, 3, 1, 0x5555, b"\x90\xff"),                       # X, S, I/L/T/K all set
        rtp(111, 1, 1, 0x6666, b""),                              # empty Opus (header only)
        struct.pack("!BBH", 0x80, 201, 50) + bytes(8),            # RTCP length > datagram
        struct.pack("!BBHI", 0x81, 201, 0, 1),                    # RTCP length 0, RC 1
        struct.pack("!BBHI", 0x85, 201, 1, 1),                    # RC larger than data
        struct.pack("!BBHI", 0x81, 202, 2, 1) + b"\x01\x40ab",    # SDES item past end
        struct.pack("!BBHI", 0x81, 203, 2, 1) + b"\x40abc",       # BYE reason past end
        rtcp_rr(7) + b"\x01\x02\x03",                             # trailing garbage
    ]
)


class CommandLine(unittest.TestCase):
    def test_help_and_version(self):
        p = subprocess.run([VCALLD, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("--peer", p.stdout)
        p = subprocess.run([VCALLD, "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^vcalld \d+\.\d+")

    def assertOneLineError(self, args, needle):
        rc, err = run_fail(args)
        self.assertNotEqual(rc, 0, args)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(needle, err)

    def test_bad_options(self):
        self.assertOneLineError(["--bogus"], "unknown option")
        self.assertOneLineError([], "--peer")
        self.assertOneLineError(["--peer", "127.0.0.1", "--size", "99x7"], "--size")
        self.assertOneLineError(["--peer", "127.0.0.1", "--fps", "0"], "--fps")
        self.assertOneLineError(["--peer", "127.0.0.1", "--log-level", "loud"], "--log-level")
        self.assertOneLineError(["--peer", "127.0.0.1:99999"], "port")

    def test_unresolvable_peer(self):
        self.assertOneLineError(["--peer", "no-such-host.invalid", "--log-level", "error"],
                                "cannot resolve")

    def test_port_in_use(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        try:
            self.assertOneLineError(["--peer", "127.0.0.1:9", "--listen", f"127.0.0.1:{port}",
                                     "--log-level", "error"], "port in use")
        finally:
            s.close()

    def test_bad_files(self):
        with tempfile.TemporaryDirectory() as d:
            junk = os.path.join(d, "junk.y4m")
            with open(junk, "wb") as f:
                f.write(b"not a y4m file\n")
            base = ["--peer", "127.0.0.1:9", "--listen", f"127.0.0.1:{free_port()}",
                    "--log-level", "error"]
            self.assertOneLineError(base + ["--video-source", f"file:{junk}"], "junk.y4m")
            self.assertOneLineError(base + ["--audio-source", "file:/nonexistent/x.wav"], "x.wav")
            self.assertOneLineError(base + ["--video-sink", "file:/nonexistent/dir/o.y4m"], "o.y4m")


def start_pair(d, family, host, duration, extra=()):
    pa, pb = free_port(family, host), free_port(family, host)
    fmt = "[%s]:%d" if family == socket.AF_INET6 else "%s:%d"
    procs = []
    for me, other, name in ((pa, pb, "a"), (pb, pa, "b")):
        args = [VCALLD, "--listen", fmt % (host, me), "--peer", fmt % (host, other),
                "--video-source", "testsrc", "--audio-source", "tone:440",
                "--video-sink", f"file:{d}/{name}.y4m", "--audio-sink", f"file:{d}/{name}.wav",
                "--size", "320x240", "--fps", "15", "--video-kbps", "300",
                "--stats", f"{d}/{name}.jsonl", "--duration", str(duration), *extra]
        with open(f"{d}/{name}.log", "w") as log:
            procs.append(subprocess.Popen(args, stderr=log))
    return procs


class Defaults(unittest.TestCase):
    """No source or sink options on a machine without camera, sound card
    or display (as here and in CI): one line per missing device, then the
    call goes on with testsrc, tone and null sinks."""

    def run_alone(self, extra, env_drop=("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")):
        env = {k: v for k, v in os.environ.items() if k not in env_drop}
        with tempfile.TemporaryDirectory() as d:
            p = subprocess.run([VCALLD, "--peer", "127.0.0.1:9", "--listen", f"127.0.0.1:{free_port()}",
                                "--duration", "2", "--stats", f"{d}/s.jsonl", *extra],
                               capture_output=True, text=True, timeout=30, env=env)
            return p, read_stats(f"{d}/s.jsonl")

    def test_fallbacks(self):
        if any(os.path.exists("/dev/video%d" % i) for i in range(64)):
            self.skipTest("this machine has a camera")
        p, stats = self.run_alone([])
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stderr.splitlines()
        for what, repl in (("video source", "using testsrc"), ("audio source", "using tone"),
                           ("video sink", "using null"), ("audio sink", "using null")):
            hits = [l for l in lines if what in l]
            self.assertEqual(len(hits), 1, (what, lines))
            self.assertIn(repl, hits[0])
        # and the fallbacks really run: testsrc pictures and tone blocks
        self.assertGreater(stats[-1]["video_out"]["frames_captured"], 30)

    def test_sdl_without_display_falls_back(self):
        p, _ = self.run_alone(["--video-sink", "sdl", "--video-source", "testsrc",
                               "--audio-source", "tone", "--audio-sink", "null"])
        self.assertEqual(p.returncode, 0, p.stderr)
        hits = [l for l in p.stderr.splitlines() if "video sink" in l]
        self.assertEqual(len(hits), 1, p.stderr)
        self.assertIn("using null (sdl was asked for)", hits[0])

    def test_explicit_devices_must_work(self):
        rc, err = run_fail(["--peer", "127.0.0.1:9", "--video-source", "v4l2:/dev/video63",
                            "--log-level", "error"])
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("/dev/video63", err)
        rc, err = run_fail(["--peer", "127.0.0.1:9", "--audio-source", "portaudio:no-such-mic",
                            "--video-source", "testsrc", "--log-level", "error"])
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("no-such-mic", err)

    def test_list_devices(self):
        p = subprocess.run([VCALLD, "--list-devices"], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("cameras", p.stdout)
        self.assertIn("audio devices", p.stdout)


class Calls(unittest.TestCase):
    def check_outputs(self, d, name):
        stats = read_stats(f"{d}/{name}.jsonl")
        self.assertGreaterEqual(len(stats), 2)
        self.assertEqual(stats[-1]["state"], "ended")
        ts = [s["t_ms"] for s in stats]
        self.assertEqual(ts, sorted(ts))
        last = stats[-1]
        self.assertGreater(last["video_in"]["frames_decoded"], 10)
        self.assertGreater(last["audio_in"]["packets"], 50)
        with wave.open(f"{d}/{name}.wav") as w:
            self.assertEqual(w.getframerate(), 48000)
            self.assertGreater(w.getnframes(), 48000)
        with open(f"{d}/{name}.y4m", "rb") as f:
            header = f.readline()
            self.assertTrue(header.startswith(b"YUV4MPEG2 W320 H240"), header)
            body = f.read()
        frame = len(b"FRAME\n") + 320 * 240 * 3 // 2
        self.assertEqual(len(body) % frame, 0)
        with open(f"{d}/{name}.y4m.times") as f:
            times = [tuple(map(int, l.split())) for l in f]
        self.assertEqual(len(times), len(body) // frame)
        return last

    def test_ipv6_call(self):
        try:
            socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        with tempfile.TemporaryDirectory() as d:
            procs = start_pair(d, socket.AF_INET6, "::1", 3)
            for p in procs:
                self.assertEqual(p.wait(timeout=30), 0)
            for name in "ab":
                self.check_outputs(d, name)

    def test_signal_ends_call_cleanly(self):
        with tempfile.TemporaryDirectory() as d:
            procs = start_pair(d, socket.AF_INET, "127.0.0.1", 0)
            time.sleep(3)
            procs[0].send_signal(signal.SIGINT)
            procs[1].send_signal(signal.SIGTERM)
            for p in procs:
                self.assertEqual(p.wait(timeout=20), 0)
            for name in "ab":
                self.check_outputs(d, name)


class Hostile(unittest.TestCase):
    def test_hostile_datagrams(self):
        """A fake peer sends every hostile datagram; a stranger floods from
        another port.  The daemon must drop and count them and stay up."""
        with tempfile.TemporaryDirectory() as d:
            peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            peer.bind(("127.0.0.1", 0))
            peer.settimeout(0.2)
            dport = free_port()
            stats = f"{d}/s.jsonl"
            log = open(f"{d}/log", "w")
            p = subprocess.Popen([VCALLD, "--listen", f"127.0.0.1:{dport}",
                                  "--peer", f"127.0.0.1:{peer.getsockname()[1]}",
                                  "--video-source", "testsrc", "--audio-source", "tone",
                                  "--video-sink", "null", "--audio-sink", "null",
                                  "--size", "320x240", "--fps", "10", "--stats", stats],
                                 stderr=log)
            stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                dst = ("127.0.0.1", dport)
                time.sleep(0.5)
                peer.sendto(rtcp_rr(0xabcdef), dst)     # a valid hello: now connected
                for _ in range(3):
                    for pkt in HOSTILE:
                        peer.sendto(pkt, dst)
                        stranger.sendto(rtcp_rr(1), dst)
                    time.sleep(0.2)
                # A frame that grows past the reassembly cap: 1000 fragments
                # of one timestamp with no marker.
                for i in range(1000):
                    s = 0x10 if i == 0 else 0
                    peer.sendto(rtp(96, 100 + i, 5000, 0x7777, bytes([0x80 | s, 0x80, 0x01, 0x02]) + b"z" * 1100), dst)
                    if i % 100 == 0:
                        time.sleep(0.01)
                # Garbage Opus on a real SSRC: concealment, no crash.
                for i in range(20):
                    peer.sendto(rtp(111, 10 + i, 960 * i, 0x6666, os.urandom(40)), dst)
                time.sleep(1.5)
                self.assertIsNone(p.poll(), "daemon died on hostile input")
                # It still talks to its peer, within the wire profile: media
                # and RTCP keep coming, RTCP (SR or RR first) at least once a
                # second, no datagram over 1200 bytes.
                rtcp_times, sizes = [], []
                t_end = time.time() + 3
                while time.time() < t_end:
                    try:
                        data, _ = peer.recvfrom(4096)
                    except socket.timeout:
                        continue
                    sizes.append(len(data))
                    if len(data) >= 2 and 192 <= data[1] <= 223:
                        self.assertIn(data[1], (200, 201), "compound must start with SR/RR")
                        rtcp_times.append(time.time())
                self.assertGreater(len(sizes), 50)
                self.assertLessEqual(max(sizes), 1200)
                self.assertGreaterEqual(len(rtcp_times), 3)
                gaps = [b - a for a, b in zip(rtcp_times, rtcp_times[1:])]
                self.assertLess(max(gaps), 1.1, gaps)
            finally:
                p.send_signal(signal.SIGTERM)
                rc = p.wait(timeout=20)
                # The hang-up says BYE (RTCP PT 203 inside a compound).
                bye = False
                try:
                    while not bye:
                        data, _ = peer.recvfrom(4096)
                        bye = len(data) >= 2 and 192 <= data[1] <= 223 and bytes([203]) in rtcp_types(data)
                except socket.timeout:
                    pass
                peer.close()
                stranger.close()
                log.close()
            self.assertEqual(rc, 0)
            self.assertTrue(bye, "no RTCP BYE after SIGTERM")
            last = read_stats(stats)[-1]
            rej = last["rejected"]
            self.assertEqual(rej["bad_source"], 3 * len(HOSTILE))
            # Every hostile datagram is rejected: the one with an unknown
            # payload type as such, all the others as malformed.
            self.assertEqual(rej["unknown_pt"], 3)
            self.assertEqual(rej["malformed"], 3 * (len(HOSTILE) - 1))


if __name__ == "__main__":
    unittest.main()
