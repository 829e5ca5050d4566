"""Unit tests of vcall-harness's parsing, metrics, thresholds and report (no daemons)."""
import importlib.machinery
import importlib.util
import os
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
              "latency_ms": {"n": 9, "p50": 66, "p95": 70, "max": 75}, "dropout_ms": 40}
OWN = {"t_ms": 10000, "state": "ended", "rtt_ms": 0.4,
       "video_in": {"e2e_latency_ms": 58, "frames_decoded": 292, "packets_lost": 0},
       "audio_in": {"concealed_ms": 60, "e2e_latency_ms": 65}}
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
        args.update(kw)
        m = H.side_metrics(**args)
        m.update(stats_valid=True, daemon_exit_ok=True)
        return m

    def test_side_metrics(self):
        m = self.metrics()
        self.assertEqual(m["frames_sent"], 300)
        self.assertAlmostEqual(m["shown_ratio"], 290 / 300)
        self.assertEqual(m["video_p50_ms"], 60)
        self.assertEqual(m["daemon_video_e2e_ms"], 58)
        self.assertEqual(m["av_sync_ms"], 60 - 66)
        self.assertAlmostEqual(m["freeze_ratio"], 0.02)
        self.assertAlmostEqual(m["audio_dropout_ratio"], 0.004)
        self.assertEqual(m["audio_concealed_ms"], 60)
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
        }
        for name, kw in cases.items():
            failed = [c["name"] for c in H.evaluate(self.metrics(**kw), th) if not c["pass"]]
            self.assertIn(name, failed, name)
        m = self.metrics()
        m["stats_valid"] = False
        self.assertIn("stats_valid",
                      [c["name"] for c in H.evaluate(m, th) if not c["pass"]])

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
        failed = [c["name"] for c in H.evaluate(m, th) if not c["pass"]]
        self.assertIn("after_blackout_ratio", failed)
        self.assertIn("tail_gap_s", failed)


class Profiles(unittest.TestCase):
    def test_table(self):
        for name in ("clean", "wifi", "lossy", "congested", "blackout"):
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
        for bad in (["--profile", "nope"], ["--profile", "blackout", "--duration", "5"],
                    ["--profile", "clean", "--size", "640"], []):
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


if __name__ == "__main__":
    unittest.main()
