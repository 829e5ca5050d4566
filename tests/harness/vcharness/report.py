"""The harness's report: the table printed on stdout and the JSON written to disk."""
import json

# ---- the report -----------------------------------------------------------------------
ROWS = [  # label, metric key, format
    ("frames sent by other", "frames_sent", "%d"), ("frames shown", "frames_shown", "%d"),
    ("shown ratio", "shown_ratio", "%.3f"), ("frames lost", "frames_lost", "%d"),
    ("frames decoded (stats)", "frames_decoded", "%d"),
    ("video packets lost", "video_packets_lost", "%d"),
    ("PSNR mean dB", "psnr_mean", "%.1f"), ("PSNR min dB", "psnr_min", "%.1f"),
    ("video latency p50 ms", "video_p50_ms", "%.0f"),
    ("video latency p95 ms", "video_p95_ms", "%.0f"),
    ("  daemon e2e ms", "daemon_video_e2e_ms", "%.0f"),
    ("freezes", "freezes", "%d"), ("freeze ms", "freeze_ms", "%.0f"),
    ("  daemon freezes", "daemon_freezes", "%d"),
    ("last frame before end s", "tail_gap_s", "%.2f"),
    ("frames after blackout", "after_blackout_ratio", "%.2f"),
    ("audio Hz", "audio_freq_hz", "%.1f"), ("  expected Hz", "audio_expected_hz", "%d"),
    ("clicks", "clicks", "%d"),
    ("audio latency p50 ms", "audio_p50_ms", "%.0f"),
    ("audio latency p95 ms", "audio_p95_ms", "%.0f"),
    ("  daemon e2e ms", "daemon_audio_e2e_ms", "%.0f"),
    ("audio dropout ms", "audio_dropout_ms", "%.0f"),
    ("  daemon concealed ms", "audio_concealed_ms", "%.0f"),
    ("audio packets lost", "audio_packets_lost", "%d"),
    ("A/V sync ms (video late)", "av_sync_ms", "%.0f"),
    ("  daemon av_sync_ms", "daemon_av_sync_ms", "%.0f"),
    ("A/V sync max |5-s| ms", "av_sync_max_ms", "%.1f"),
    ("concealed ratio", "audio_concealed_ratio", "%.4f"),
    ("audio jb 2nd half ms (w/o sync)", "audio_jb_second_half_ms", "%.1f"),
    ("  network var p95 ms", "network_audio_variation_p95_ms", "%.1f"),
    ("  |jb - network| ms", "audio_jb_vs_network_ms", "%.1f"),
    ("audio jb before burst ms", "burst_level_before_ms", "%.1f"),
    ("  recovery after burst s", "burst_recovery_s", "%.1f"),
    ("click latency before ms", "burst_media_before_ms", "%.1f"),
    ("  recovery (clicks) s", "burst_recovery_media_s", "%.1f"),
    ("drift delay change ms", "drift_delay_change_ms", "%.1f"),
    ("drift_ppm 2nd half", "drift_ppm_median", "%.1f"),
    ("  expected ppm", "drift_ppm_expected", "%g"),
    ("rtt ms", "rtt_ms", "%.1f"),
]
# rows left out when neither side has a value (they belong to some profiles only)
OPTIONAL_ROWS = {"after_blackout_ratio", "audio_jb_second_half_ms",
                 "network_audio_variation_p95_ms", "audio_jb_vs_network_ms",
                 "burst_level_before_ms", "burst_recovery_s", "burst_media_before_ms",
                 "burst_recovery_media_s", "drift_delay_change_ms", "drift_ppm_median",
                 "drift_ppm_expected"}


def fmt(m, key, f):
    v = m.get(key)
    if v is None:
        return "-"
    try:
        return f % v
    except (TypeError, ValueError, OverflowError):
        return str(v)


def render_table(report):
    sides = report["sides"]
    lines = ["vcall-harness: profile %s (%s), %g s, %s@%s fps, %s kbit/s" % (
        report["profile"], report["profile_desc"], report["duration_s"], report["size"],
        report["fps"], report["video_kbps"])]
    w = 26
    lines.append("%-*s %16s %16s" % (w, "received", "A <- B", "B <- A"))
    for label, key, f in ROWS:
        a, b = fmt(sides["a"]["metrics"], key, f), fmt(sides["b"]["metrics"], key, f)
        if a == "-" and b == "-" and key in OPTIONAL_ROWS:
            continue
        lines.append("%-*s %16s %16s" % (w, label, a, b))
    ns = report.get("netsim")
    if ns and isinstance(ns.get("stats"), dict):
        for d, name in (("ab", "A->B"), ("ba", "B->A")):
            s = ns["stats"].get(d)
            if not isinstance(s, dict) or not s:
                continue
            drops = {k[8:]: v for k, v in s.items() if k.startswith("dropped_") and v}
            lines.append("netsim %s: %s in, %s out, dropped %s, dup %s, reordered %s" % (
                name, s.get("packets_in"), s.get("packets_out"),
                ", ".join("%s %s" % kv for kv in drops.items()) or "0",
                s.get("duplicated"), s.get("reordered")))
            d = s.get("delay_ms")
            if isinstance(d, dict) and d.get("n"):
                lines.append("netsim %s: delay ms min %s p50 %s p95 %s max %s, variation p95 "
                             "%s (audio %s)" % (name, d.get("min"), d.get("p50"), d.get("p95"),
                                                d.get("max"), s.get("variation_p95_ms"),
                                                s.get("audio_variation_p95_ms")))
    for side in ("a", "b"):
        for c in sides[side]["checks"]:
            if c.get("skipped"):
                lines.append("SKIP %s: %s (%s)" % (side.upper(), c["name"], c["skipped"]))
            elif not c["pass"]:
                lines.append("FAIL %s: %s = %s (want %s)" % (
                    side.upper(), c["name"],
                    "no data" if c["value"] is None else
                    ("%.3f" % c["value"] if isinstance(c["value"], float) else c["value"]),
                    c["limit"]))
    for e in report.get("errors", []):
        lines.append("ERROR " + e)
    lines.append("RESULT: %s" % ("PASS" if report["pass"] else "FAIL"))
    return "\n".join(lines)


def dump_report(report):
    """The report as indented JSON, but each series on one line: a 10-minute call has
    18000 frames a side."""
    compact, sides = {}, {}
    for side, sd in report["sides"].items():
        ser = {}
        for key, val in sd.get("series", {}).items():
            if isinstance(val, list) or (isinstance(val, dict) and "rows" in val):
                mark = "@@series-%d@@" % len(compact)
                compact[mark] = json.dumps(val, separators=(",", ":"), sort_keys=True)
                val = mark
            ser[key] = val
        sides[side] = dict(sd, series=ser)
    text = json.dumps(dict(report, sides=sides), indent=1, sort_keys=True)
    for mark, val in compact.items():
        text = text.replace('"%s"' % mark, val, 1)
    return text
