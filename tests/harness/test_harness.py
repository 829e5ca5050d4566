"""Unit tests of vcall-harness's parsing, metrics, thresholds and report (no daemons)."""
import contextlib
import importlib.machinery
import importlib.util
import io
import os
import shutil
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader("vcall_harness", os.path.join(HERE, "vcall-harness"))
_spec = importlib.util.spec_from_loader("vcall_harness", _loader)
H = importlib.util.module_from_spec(_spec)
_loader.exec_module(H)

GOOD_VIDEO = {"frames_in_file": 290, "barcodes_read": 290, "unique_frames": 290,
              "first_index": 3, "last_index": 299, "frames_lost": 10, "repeats": 0,
              "shown_ratio": 0.967, "psnr_mean": 37.5, "psnr_min": 31.0, "psnr_p5": 33.0,
              "latency_ms": {"n": 290, "p50": 60, "p95": 80, "max": 120},
              "freezes": 1, "freeze_ms": 200, "fps": 29.5}
GOOD_AUDIO = {"duration_s": 9.9, "rms_dbfs": -12.0, "freq_hz": 661.0, "clicks": 9,
              "latency_ms": {"n": 9, "p50": 36, "p95": 40, "max": 45}, "dropout_ms": 40}
OWN = {"t_ms": 10000, "state": "ended", "rtt_ms": 0.4,
       "video_in": {"e2e_latency_ms": 58, "frames_decoded": 292, "packets_lost": 0},
       "audio_in": {"concealed_ms": 60, "e2e_latency_ms": 35}}
# media series on the call's time axis: frames at 30 fps, a click a second
VIDEO_PTS = [(0.2 + i / 30, 60.0) for i in range(290)]
AUDIO_PTS = [(1.0 + i, 36.0) for i in range(9)]


def jb_rows(values, t_start=1.0, **extra):
    """STATS_COLUMNS rows, one a second, with these audio jb delays (and drift_ppm etc.
    from extra: a column name -> one value for all rows)."""
    rows = []
    for i, v in enumerate(values):
        row = [t_start + i] + [None] * (len(H.STATS_COLUMNS) - 1)
        row[H.STATS_COLUMNS.index("audio_in.jb_delay_ms")] = v
        for col, x in extra.items():
            row[H.STATS_COLUMNS.index(col)] = x
        rows.append(row)
    return rows
OTHER = {"t_ms": 10001, "state": "ended", "video_out": {"frames_encoded": 300}}


class StatsParsing(unittest.TestCase):
    def test_valid(self):
        ok, objs, problems = H.parse_stats(
            '{"t_ms":1000,"state":"connecting"}\n{"t_ms":2000,"state":"connected"}\n\n')
        self.assertTrue(ok)
        self.assertEqual(len(objs), 2)
        self.assertEqual(problems, [])

    def test_invalid(self):
        for text in ("", '{"t_ms":1}\n', '[1,2]\n', 'garbage\n',
                     '{"t_ms":2,"state":"x"}\n{"t_ms":2,"state":"x"}\n',
                     '{"t_ms":"1","state":"x"}\n'):
            ok, _, problems = H.parse_stats(text)
            self.assertFalse(ok, text)
            self.assertTrue(problems)

    def test_get(self):
        self.assertEqual(H.get(OWN, "video_in.e2e_latency_ms"), 58)
        self.assertIsNone(H.get(OWN, "video_in.nope"))
        self.assertIsNone(H.get(None, "a.b"))
        self.assertIsNone(H.get({"a": 3}, "a.b"))

    def test_times(self):
        self.assertEqual(H.parse_times("0 1000000\n1 1033333\nbad line\n2\n"), [1.0, 1.033333])


class Metrics(unittest.TestCase):
    def metrics(self, **kw):
        args = dict(video=GOOD_VIDEO, audio=GOOD_AUDIO, own_final=OWN, other_final=OTHER,
                    duration=10, expected_hz=660,
                    render_times=[100 + i / 30 for i in range(300)], call_end=110.0)
        video_pts = kw.pop("video_pts", VIDEO_PTS)
        args.update(kw)
        m = H.side_metrics(**args)
        m.update(H.timing_metrics(video_pts, AUDIO_PTS, [], args["duration"])[0])
        m.update(stats_valid=True, daemon_exit_ok=True)
        return m

    def test_side_metrics(self):
        m = self.metrics()
        self.assertEqual(m["frames_sent"], 300)
        self.assertAlmostEqual(m["shown_ratio"], 290 / 300)
        self.assertEqual(m["video_p50_ms"], 60)
        self.assertEqual(m["daemon_video_e2e_ms"], 58)
        self.assertEqual(m["av_sync_ms"], 60 - 36)
        self.assertEqual(m["av_sync_max_ms"], 60 - 36)
        self.assertAlmostEqual(m["freeze_ratio"], 0.02)
        self.assertAlmostEqual(m["audio_dropout_ratio"], 0.004)
        self.assertEqual(m["audio_concealed_ms"], 60)
        self.assertAlmostEqual(m["audio_concealed_ratio"], 0.006)
        self.assertLess(m["tail_gap_s"], 0.05)
        self.assertIsNone(m["after_blackout_ratio"])

    def test_daemon_e2e_is_median_of_series(self):
        series = [{"video_in": {"e2e_latency_ms": v}, "audio_in": {"e2e_latency_ms": a}}
                  for v, a in ((None, None), (50, 40), (200, 41), (55, 42), (52, None))]
        m = H.side_metrics(None, None, series[-1], None, 10, 440, own_series=series)
        self.assertEqual(m["daemon_video_e2e_ms"], 53.5)   # median of 50, 52, 55, 200
        self.assertEqual(m["daemon_audio_e2e_ms"], 41)
        self.assertIsNone(H.median_of([{}], "video_in.e2e_latency_ms"))

    def test_missing_everything_is_null(self):
        m = H.side_metrics(None, None, None, None, 10, 440)
        self.assertIsNone(m["frames_sent"])
        self.assertIsNone(m["shown_ratio"])
        self.assertIsNone(m["freeze_ratio"])
        checks = H.evaluate(dict(m, stats_valid=False, daemon_exit_ok=True),
                            H.PROFILES["clean"]["th"])
        self.assertFalse(any(c["pass"] for c in checks if c["name"] != "daemon_exit_ok"))

    def test_shown_ratio_falls_back_to_analyzer(self):
        m = self.metrics(other_final={"t_ms": 1, "state": "ended"})
        self.assertAlmostEqual(m["shown_ratio"], 0.967)

    def test_clean_passes(self):
        checks = H.evaluate(self.metrics(), H.PROFILES["clean"]["th"])
        self.assertTrue(all(c["pass"] for c in checks), [c for c in checks if not c["pass"]])

    def test_each_threshold_can_fail(self):
        th = H.PROFILES["clean"]["th"]
        cases = {
            "shown_ratio": dict(video=dict(GOOD_VIDEO, unique_frames=200)),
            "psnr_mean": dict(video=dict(GOOD_VIDEO, psnr_mean=22.0)),
            "video_p50_ms": dict(video=dict(GOOD_VIDEO, latency_ms={"p50": 400, "p95": 450})),
            "audio_freq_hz": dict(audio=dict(GOOD_AUDIO, freq_hz=440.0)),
            "clicks_per_s": dict(audio=dict(GOOD_AUDIO, clicks=2)),
            "audio_dropout_ratio": dict(audio=dict(GOOD_AUDIO, dropout_ms=1500)),
            "freeze_ratio": dict(video=dict(GOOD_VIDEO, freeze_ms=2000)),
            "video_e2e_xcheck_ms": dict(own_final=dict(OWN, video_in={"e2e_latency_ms": 400})),
            "audio_e2e_xcheck_ms": dict(own_final=dict(OWN, audio_in={"e2e_latency_ms": 75})),
            "audio_p50_ms": dict(audio=dict(GOOD_AUDIO, latency_ms={"p50": 45, "p95": 50}),
                                 own_final=dict(OWN, audio_in={"e2e_latency_ms": 45})),
            "av_sync_max_ms": dict(video_pts=VIDEO_PTS[:150] + [(t, 120.0) for t, _ in
                                                                VIDEO_PTS[150:]]),
        }
        for name, kw in cases.items():
            failed = [c["name"] for c in H.evaluate(self.metrics(**kw), th) if not c["pass"]]
            self.assertIn(name, failed, name)
        m = self.metrics()
        m["stats_valid"] = False
        self.assertIn("stats_valid",
                      [c["name"] for c in H.evaluate(dict(m, audio_expected_hz=440), th) if not c["pass"]])

    def test_tail_gap_and_blackout_recovery(self):
        t0 = 1000.0
        # frames at 30 fps for 0..4 s and 8..10 s (blackout 4..7 s), call ends at 10 s
        times = [t0 + i / 30 for i in range(120)] + [t0 + 8 + i / 30 for i in range(60)]
        m = self.metrics(render_times=times, call_end=t0 + 10, blackout_abs=(t0 + 4, t0 + 7))
        self.assertLess(m["tail_gap_s"], 0.05)
        # frames must flow from 7 + RECOVERY_S to 10: all of that window is covered
        self.assertGreater(m["after_blackout_ratio"], 0.9)
        dead = [t for t in times if t < t0 + 4]
        m = self.metrics(render_times=dead, call_end=t0 + 10, blackout_abs=(t0 + 4, t0 + 7))
        self.assertEqual(m["after_blackout_ratio"], 0)
        self.assertGreater(m["tail_gap_s"], 5.9)
        th = H.PROFILES["blackout"]["th"]
        failed = [c["name"] for c in H.evaluate(dict(m, audio_expected_hz=440), th) if not c["pass"]]
        self.assertIn("after_blackout_ratio", failed)
        self.assertIn("tail_gap_s", failed)


class Timing(unittest.TestCase):
    """The media-timing metrics on synthetic series, each shown to pass and to fail."""

    def test_window_median_and_stats_rows(self):
        pts = [(0.5, 10), (1.0, 20), (1.5, 30), (2.0, 40)]
        self.assertEqual(H.window_median(pts, 1.0, 2.0), 25)
        self.assertIsNone(H.window_median(pts, 5, 6))
        lines = [{"t_ms": 1000, "state": "connected", "audio_in": {"jb_delay_ms": 42.5,
                                                                   "drift_ppm": None},
                  "av_sync_ms": 3.0}, {"state": "x"},
                 {"t_ms": 2000, "state": "ended", "audio_in": {"jb_delay_ms": 0}}]
        rows = H.stats_rows(lines, 0.25)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][0], 1.25)
        self.assertEqual(H.stat_points(rows, "audio_in.jb_delay_ms"), [(1.25, 42.5)])
        self.assertEqual(H.stat_points(rows, "audio_in.drift_ppm"), [])
        self.assertEqual(H.stat_points(rows, "av_sync_ms"), [(1.25, 3.0)])

    def test_recovery_time(self):
        # jb delay a second: 40 ms, 100 ms in the burst (8..13 s), then decaying
        after = [80, 60, 55, 52, 45, 41] + [40] * 9      # t = 13 .. 27
        pts = [(float(t), 40.0) for t in range(8)] + \
            [(float(t), 100.0) for t in range(8, 13)] + \
            [(13.0 + i, v) for i, v in enumerate(after)]
        # 2-s rolling median: at 16 s mean(55, 52) = 53.5 is out, at 17 s 48.5 is in
        self.assertEqual(H.recovery_time(pts, 40, 13, 10, window_s=2), 4)
        # single points: 16 s (52) is out, 17 s (45) in
        self.assertEqual(H.recovery_time(pts, 40, 13, 10), 4)
        self.assertEqual(H.recovery_time(pts, 40, 13, 4), 5)
        # a relapse before the end restarts the clock
        relapse = pts[:-3] + [(25.0, 70.0), (26.0, 40.0), (27.0, 40.0)]
        self.assertEqual(H.recovery_time(relapse, 40, 13, 10), 13)
        self.assertIsNone(H.recovery_time(relapse, 40, 13, 10, min_tail=5))
        # never back, or no level before
        stuck = [(t, 40.0 if t < 8 else 75.0) for t in map(float, range(28))]
        self.assertIsNone(H.recovery_time(stuck, 40, 13, 10, window_s=2))
        self.assertIsNone(H.recovery_time(pts, None, 13, 10))
        self.assertIsNone(H.recovery_time([], 40, 13, 10))
        # in the burst profile: 4 s passes, 12 s fails
        th = H.side_thresholds("burst", "a")
        slow = [(t, v if t < 13 else (40.0 if t >= 25 else 90.0)) for t, v in pts]
        for series, ok in ((pts, True), (slow, False)):
            m, _ = H.timing_metrics([], series_as_clicks(series), jb_rows([v for _, v in
                                                                           series], 0.0),
                                    28, burst=(8, 5, 60))
            self.assertEqual(m["burst_level_before_ms"], 40)
            self.assertEqual(m["burst_media_before_ms"], 40)
            checks = {c["name"]: c["pass"] for c in H.evaluate(dict(m, audio_expected_hz=440), th)
                      if c["name"].startswith("burst")}
            self.assertEqual(checks, {"burst_recovery_s": ok, "burst_recovery_media_s": ok},
                             (m["burst_recovery_s"], m["burst_recovery_media_s"]))

    def test_drift_windows(self):
        flat = [(float(t), 50.0 + (t % 3)) for t in range(600)]
        change, windows = H.drift_windows(flat)
        self.assertLessEqual(change, 2)
        self.assertEqual(windows[0][0], 5)
        self.assertEqual(len(windows), 60)   # 5..15, ..., 595..605 (5 clicks)
        # 100 ppm uncompensated: 0.1 ms more a second, 60 ms in 10 minutes
        growing = [(float(t), 50.0 + 0.1 * t) for t in range(600)]
        change, windows = H.drift_windows(growing)
        self.assertAlmostEqual(change, 0.1 * (597 - 9.5), places=6)
        self.assertEqual(H.drift_windows([(float(t), 1.0) for t in range(20, 60)]),
                         (None, []))             # nothing in the reference window
        self.assertEqual(H.drift_windows([]), (None, []))
        th = H.side_thresholds("drift", "b")
        for series, ok in ((flat, True), (growing, False)):
            m, _ = H.timing_metrics([], series, [], 600, drift_ppm=100)
            c = [c for c in H.evaluate(dict(m, audio_expected_hz=440), th) if c["name"] == "drift_delay_change_ms"][0]
            self.assertEqual(c["pass"], ok)
        self.assertIsNone(H.side_thresholds("drift", "a")["drift_delay_change_ms_max"])

    def test_drift_ppm_check(self):
        th = H.side_thresholds("drift-fast", "b")

        def check(ppm_value):
            rows = jb_rows([40] * 60, **{"audio_in.drift_ppm": ppm_value})
            m, _ = H.timing_metrics([], [], rows, 60, drift_ppm=1000)
            return [c for c in H.evaluate(dict(m, audio_expected_hz=440), th) if c["name"] == "drift_ppm_err"][0], m

        c, m = check(None)      # the daemon does not estimate it yet: skipped, visible
        self.assertTrue(c["pass"])
        self.assertIn("skipped", c)
        self.assertIsNone(m["drift_ppm_median"])
        c, m = check(985.0)
        self.assertTrue(c["pass"])
        self.assertEqual(m["drift_ppm_err"], 15)
        c, _ = check(0.0)
        self.assertFalse(c["pass"])

    def test_av_sync_windows(self):
        video = [(i / 30, 60.0) for i in range(30 * 20)]
        audio = [(float(t), 40.0) for t in range(20)]
        worst, windows = H.av_sync_windows(video, audio)
        self.assertEqual(worst, 20)
        self.assertEqual(windows, [[0.0, 20.0], [5.0, 20.0], [10.0, 20.0], [15.0, 20.0]])
        # video 80 ms later than usual for 5 s of the call
        late = [(t, v + 80 if 10 <= t < 15 else v) for t, v in video]
        worst, windows = H.av_sync_windows(late, audio)
        self.assertEqual(worst, 100)
        # audio 30 ms late in one window (negative: audio behind video)
        worst, _ = H.av_sync_windows(video, [(t, v + 50 if t >= 15 else v)
                                             for t, v in audio])
        self.assertEqual(worst, 30)
        # windows without enough clicks or frames are left out
        worst, windows = H.av_sync_windows(video, audio[:1] + audio[5:])
        self.assertEqual([w[0] for w in windows], [5.0, 10.0, 15.0])
        self.assertEqual(H.av_sync_windows([], []), (None, []))
        for th in (H.PROFILES[p]["th"] for p in ("clean", "jitter", "burst", "drift")):
            self.assertEqual(th["av_sync_max_ms_max"], 40)

    def test_jb_vs_network_and_concealment(self):
        th = H.PROFILES["jitter"]["th"]
        net = {"audio_variation_p95_ms": 30.0}
        # first half 80 ms (start-up), second half 40 ms: 10 ms from the network's 30
        rows = jb_rows([80] * 9 + [40] * 11)
        m, _ = H.timing_metrics([], [], rows, 20, net=net)
        self.assertEqual(m["audio_jb_second_half_ms"], 40)
        self.assertEqual(m["audio_jb_vs_network_ms"], 10)
        c = [c for c in H.evaluate(dict(m, audio_expected_hz=440), th) if c["name"] == "audio_jb_vs_network_ms"][0]
        self.assertTrue(c["pass"])
        m, _ = H.timing_metrics([], [], jb_rows([80] * 20), 20, net=net)
        c = [c for c in H.evaluate(dict(m, audio_expected_hz=440), th) if c["name"] == "audio_jb_vs_network_ms"][0]
        self.assertFalse(c["pass"])
        m, _ = H.timing_metrics([], [], rows, 20, net=None)    # no netsim figure
        self.assertIsNone(m["audio_jb_vs_network_ms"])
        # a 30 ms lip-sync hold on top of 40 is not the jitter buffer's delay
        m, _ = H.timing_metrics([], [], jb_rows([70] * 20, **{"audio_in.sync_extra_ms": 30}), 20,
                                net=net)
        self.assertEqual(m["audio_jb_second_half_ms"], 40)
        for concealed, ok in ((300, True), (500, False)):       # of 20 s: 1.5%, 2.5%
            m = H.side_metrics(None, None, {"audio_in": {"concealed_ms": concealed}}, None,
                               20, 440)
            c = [c for c in H.evaluate(dict(m, audio_expected_hz=440), th) if c["name"] == "audio_concealed_ratio"][0]
            self.assertEqual(c["pass"], ok)


def series_as_clicks(points):
    """Per-second points read as click latencies."""
    return [(t + 0.05, v) for t, v in points]


class Profiles(unittest.TestCase):
    def test_table(self):
        for name in ("clean", "wifi", "lossy", "congested", "blackout", "jitter", "burst",
                     "drift", "drift-fast"):
            self.assertIn(name, H.PROFILES)
            p = H.PROFILES[name]
            self.assertEqual(set(p["th"]), set(H.BASE_TH), name)
            m = {k: 0 for k in ("stats_valid",)}
            H.evaluate(dict(m, audio_expected_hz=440), p["th"])  # no unknown keys
        self.assertIsNone(H.netsim_args("clean", 10))
        self.assertIn("--loss", H.netsim_args("lossy", 10))
        args = H.netsim_args("blackout", 15)
        self.assertEqual(args[args.index("--blackout") + 1], "6:3")
        self.assertIn("blackout", H.list_profiles())
        args = H.netsim_args("burst", 28)
        self.assertEqual(args[args.index("--jitter-burst") + 1], "8:5:60")
        self.assertEqual(args[args.index("--jitter-ms") + 1], "5")
        self.assertIsNone(H.netsim_args("drift", 600))
        self.assertEqual(H.PROFILES["clean"]["th"]["video_p50_ms_max"], 60)
        self.assertEqual(H.PROFILES["clean"]["th"]["audio_p50_ms_max"], 40)

    def test_thresholds_get_looser_with_impairment(self):
        clean = H.PROFILES["clean"]["th"]
        for name in ("wifi", "lossy", "congested"):
            th = H.PROFILES[name]["th"]
            self.assertLessEqual(th["shown_ratio_min"], clean["shown_ratio_min"])
            self.assertGreaterEqual(th["video_p50_ms_max"], clean["video_p50_ms_max"])

    def test_args(self):
        a = H.parse_args(["--profile", "lossy", "--build", "/x"])
        self.assertEqual(a.duration, 10)
        self.assertEqual(a.vcalld, "/x/daemon/vcalld")
        self.assertEqual(a.netsim, "/x/tests/netsim/vc-netsim")
        self.assertEqual(a.analyze, "/x/tests/tools/vc-analyze")
        self.assertEqual(a.size, "640x480")
        self.assertIsNone(a.drift_ppm)
        a = H.parse_args(["--profile", "drift-fast"])
        self.assertEqual((a.drift_ppm, a.size, a.duration), (1000, "320x240", 60))
        a = H.parse_args(["--profile", "drift", "--drift-ppm", "-50", "--size", "640x480"])
        self.assertEqual((a.drift_ppm, a.size, a.duration), (-50, "640x480", 600))
        cmd = H.daemon_cmd(a, "a", 1, 2, "/o")
        self.assertEqual(cmd[cmd.index("--audio-clock-ppm") + 1], "-50")
        self.assertNotIn("--audio-clock-ppm", H.daemon_cmd(a, "b", 1, 2, "/o"))
        a = H.parse_args(["--profile", "drift", "--drift-ppm", "0"])
        self.assertNotIn("--audio-clock-ppm", H.daemon_cmd(a, "a", 1, 2, "/o"))
        for bad in (["--profile", "nope"], ["--profile", "blackout", "--duration", "5"],
                    ["--profile", "clean", "--size", "640"], [],
                    ["--profile", "clean", "--drift-ppm", "100"],
                    ["--profile", "drift", "--drift-ppm", "1e6"]):
            with self.assertRaises(SystemExit) as cm:
                with open(os.devnull, "w") as devnull:
                    import contextlib
                    with contextlib.redirect_stderr(devnull):
                        H.parse_args(bad)
            self.assertEqual(cm.exception.code, 2)

    def test_free_ports_distinct(self):
        ports = H.free_ports(4)
        self.assertEqual(len(set(ports)), 4)


class Report(unittest.TestCase):
    def test_dump_report_keeps_series_on_one_line(self):
        rep = {"pass": True, "sides": {"a": {"metrics": {"x": 1}, "series": {
            "video": [[0.5, 60.0], [0.533, 61.0]], "audio": [], "drift_windows": None,
            "stats": {"columns": ["t_s"], "rows": [[1.0], [2.0]]}}}}}
        text = H.dump_report(rep)
        self.assertEqual(H.json.loads(text), rep)
        self.assertIn('"video": [[0.5,60.0],[0.533,61.0]]', text)
        self.assertIn('"stats": {"columns":["t_s"],"rows":[[1.0],[2.0]]}', text)
        self.assertIn('"audio": []', text)
        self.assertEqual(rep["sides"]["a"]["series"]["video"][0], [0.5, 60.0])  # untouched

    def test_media_points(self):
        self.assertEqual(H.media_points([[100.5, 60.0], [101, None], "x", [102.0, 30]], 100),
                         [(0.5, 60.0), (2.0, 30)])
        self.assertEqual(H.media_points(None, 100), [])

    def test_render(self):
        m = Metrics.metrics(Metrics())
        side = {"metrics": m, "checks": H.evaluate(m, H.PROFILES["clean"]["th"])}
        bad = dict(m, psnr_mean=None)
        bad_side = {"metrics": bad, "checks": H.evaluate(bad, H.PROFILES["clean"]["th"])}
        rep = {"profile": "clean", "profile_desc": "x", "duration_s": 10, "size": "640x480",
               "fps": 30, "video_kbps": 800, "sides": {"a": side, "b": bad_side},
               "netsim": {"stats": {"ab": {"packets_in": 10, "packets_out": 9,
                                            "dropped_random": 1, "duplicated": 0,
                                            "reordered": 0}, "ba": {}}},
               "errors": ["B video: something"], "pass": False}
        text = H.render_table(rep)
        self.assertIn("frames shown", text)
        self.assertIn("FAIL B: psnr_mean = no data", text)
        self.assertNotIn("FAIL A", text)
        self.assertIn("dropped random 1", text)
        self.assertIn("RESULT: FAIL", text)
        self.assertNotIn("frames after blackout", text)


class PlotTiming(unittest.TestCase):
    """plot-timing on a synthetic report (rendering only where gnuplot is installed)."""

    @classmethod
    def setUpClass(cls):
        loader = importlib.machinery.SourceFileLoader("plot_timing",
                                                      os.path.join(HERE, "plot-timing"))
        spec = importlib.util.spec_from_loader("plot_timing", loader)
        cls.P = importlib.util.module_from_spec(spec)
        loader.exec_module(cls.P)

    def report(self, drift_ppm=None):
        rows = jb_rows([40, 45, None, 50], **{"audio_in.drift_ppm": drift_ppm})
        side = {"series": {"video": [list(p) for p in VIDEO_PTS],
                           "audio": [list(p) for p in AUDIO_PTS],
                           "stats": {"columns": list(H.STATS_COLUMNS), "rows": rows},
                           "drift_windows": [[5, 36.0]]}}
        return {"profile": "burst", "duration_s": 10, "drift_ppm": drift_ppm,
                "jitter_burst": {"start_s": 3, "len_s": 2, "jitter_ms": 60},
                "netsim": {"stats": {"ba": {"audio_variation_p95_ms": 28.5}}},  # into A
                "sides": {"a": side, "b": {"series": {}}}}

    def test_series_helpers(self):
        rep = self.report()
        pts = self.P.stats_points(rep["sides"]["a"]["series"], "audio_in.jb_delay_ms")
        self.assertEqual(pts, [(1.0, 40), (2.0, 45), (4.0, 50)])
        self.assertEqual(self.P.stats_points({}, "audio_in.jb_delay_ms"), [])
        self.assertEqual(self.P.pairs([[1, 2], [3, None], "x"]), [(1, 2)])
        self.assertEqual(self.P.quote("it's"), "'it''s'")

    def test_script(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = self.P.buffer_plot(tmp, self.report(), "t")
            script = "\n".join(p.lines)
            self.assertIn("set object rect from 3, graph 0 to 5, graph 1", script)
            self.assertIn("28.5 with lines", script)   # the network's variation into A
            self.assertIn("no data", script)            # B's side has no series
            p = self.P.drift_plot(tmp, self.report(drift_ppm=100), "t")
            self.assertIn("configured (B)", "\n".join(p.lines))

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot not installed")
    def test_render(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "r.json")
            with open(path, "w") as f:
                H.json.dump(self.report(drift_ppm=100), f)
            with open(os.devnull, "w") as devnull:
                with contextlib.redirect_stdout(devnull):
                    rc = self.P.main([path, os.path.join(tmp, "out")])
            self.assertEqual(rc, 0)
            self.assertEqual(sorted(os.listdir(os.path.join(tmp, "out"))),
                             ["buffer.png", "drift.png", "latency.png"])
            with open(path, "w") as f:
                f.write("{}")
            with contextlib.redirect_stderr(io.StringIO()) as err:
                self.assertEqual(self.P.main([path, os.path.join(tmp, "out")]), 2)
            self.assertIn("not a vcall-harness report", err.getvalue())


if __name__ == "__main__":
    unittest.main()
