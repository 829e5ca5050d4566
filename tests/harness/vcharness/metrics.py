"""Parsing the daemons' stats and render times, and what one side received: its
metrics (from vc-analyze's output and the stats) and their checks against a profile's
thresholds."""
import json
import math

from .profiles import SKIP_WHEN_NULL

RECOVERY_S = 2.0        # time allowed after a blackout before frames must flow again
# Media timing (times are seconds since the call start: the netsim's start, or the
# daemons' when there is no netsim):
BURST_BEFORE_S = 3      # "level before" a jitter burst: [3 s, burst start)
BURST_TOL_MS = 10       # recovered: back within this of the level before ...
BURST_ROLLING_S = 2     # ... as a rolling median of the daemon's per-second stats ...
BURST_MEDIA_TAIL = 5    # ... or as single clicks, with at least this many after it
DRIFT_WARMUP_S = 5      # drift windows start after this ...
DRIFT_WINDOW_S = 10     # ... and are this long; the first is the reference
AV_WINDOW_S = 5         # lip sync: median video - median audio latency per window
# per-second daemon stats kept in the JSON report's series (for plots)
STATS_COLUMNS = ("t_s", "audio_in.jb_delay_ms", "audio_in.jb_target_ms",
                 "audio_in.drift_ppm", "video_in.jb_delay_ms", "video_in.jb_target_ms",
                 "av_sync_ms", "audio_in.sync_extra_ms")


# ---- parsing ------------------------------------------------------------------------
def get(d, path):
    """d["a"]["b"] for path "a.b"; None when anything on the way is missing."""
    for key in path.split("."):
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return d


def parse_stats(text):
    """Parse a JSON Lines stats file.  Returns (valid, objects, problems)."""
    objs, problems, last_t = [], [], None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        problems.append("empty")
    for i, ln in enumerate(lines, 1):
        try:
            o = json.loads(ln)
        except ValueError:
            problems.append("line %d: not JSON" % i)
            continue
        if not isinstance(o, dict) or "t_ms" not in o or "state" not in o:
            problems.append("line %d: not an object with t_ms and state" % i)
            continue
        t = o["t_ms"]
        if not isinstance(t, (int, float)) or (last_t is not None and t <= last_t):
            problems.append("line %d: t_ms does not increase" % i)
        else:
            last_t = t
        objs.append(o)
    return (not problems, objs, problems)


def parse_times(text):
    """Render times (seconds, CLOCK_MONOTONIC) from a .y4m.times sidecar:
    one line per frame, "index time_us".  Unparseable lines are skipped."""
    out = []
    for ln in text.splitlines():
        f = ln.split()
        if len(f) >= 2:
            try:
                out.append(float(f[1]) / 1e6)
            except ValueError:
                pass
    return out


def num(x):
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) else None


def ratio(a, b):
    a, b = num(a), num(b)
    return a / b if a is not None and b else None


# ---- metrics and checks -------------------------------------------------------------
def median(values):
    """Median of the non-null numbers in values, or None."""
    vals = sorted(v for v in (num(x) for x in values) if v is not None)
    if not vals:
        return None
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2


def median_of(series, path):
    """Median of the non-null numeric values at path over stats lines, or None."""
    return median(get(o, path) for o in series or [])


# Time series are lists of (t_s, value) points, t in seconds since the call start.
def window_median(points, lo, hi):
    """Median of the values of the points with lo <= t < hi, or None."""
    return median(v for t, v in points if lo <= t < hi)


def recovery_time(points, before, end_s, tol, window_s=None, min_tail=1):
    """Seconds from end_s (the end of a disturbance) until the level is back within
    tol of before and stays there up to the last point.  A point's level is its value,
    or with window_s the rolling median of the points in (t - window_s, t].  Only
    points at or after end_s count, and the settled stretch must hold min_tail of
    them.  None when the level never settles (or before is None)."""
    if before is None:
        return None
    points = sorted((t, v) for t, v in points if num(v) is not None)
    settled, n = None, 0
    for t, v in reversed([p for p in points if p[0] >= end_s]):
        level = v if not window_s else median(w for u, w in points if t - window_s < u <= t)
        if abs(level - before) > tol:
            break
        settled, n = t, n + 1
    if settled is None or n < min_tail:
        return None
    return round(settled - end_s, 3)


def drift_windows(points, warmup_s=DRIFT_WARMUP_S, window_s=DRIFT_WINDOW_S, min_points=3):
    """How far the delay moves under clock drift: the median of the points in each
    window [warmup_s + k * window_s, + window_s) (windows with fewer than min_points
    left out) against the first window's.  Returns (the largest |median - first
    median| or None without a first window, [[window start, median], ...])."""
    out, t_end = [], max((t for t, _ in points), default=0.0)
    lo = warmup_s
    while lo < t_end:
        vals = [v for t, v in points if lo <= t < lo + window_s and num(v) is not None]
        if len(vals) >= min_points:
            out.append([lo, median(vals)])
        elif lo == warmup_s:
            return None, out
        lo += window_s
    if not out:
        return None, out
    return max(abs(med - out[0][1]) for _, med in out), out


def av_sync_windows(video, audio, window_s=AV_WINDOW_S, min_video=10, min_audio=2):
    """Lip sync throughout the call: per window [k * window_s, + window_s), median video
    latency - median audio (click) latency (positive: video late); windows with fewer
    than min_video frames or min_audio clicks are left out.  Returns (the largest
    |difference| or None, [[window start, difference], ...])."""
    out, t_end = [], max((t for t, _ in list(video) + list(audio)), default=0.0)
    lo = 0.0
    while lo < t_end:
        v = [x for t, x in video if lo <= t < lo + window_s]
        a = [x for t, x in audio if lo <= t < lo + window_s]
        if len(v) >= min_video and len(a) >= min_audio:
            out.append([lo, round(median(v) - median(a), 2)])
        lo += window_s
    return (max(abs(d) for _, d in out) if out else None), out


def stats_rows(series, offset_s):
    """STATS_COLUMNS rows from stats lines; t_s = offset_s (when the daemon started,
    on the report's time axis) + t_ms.  The "ended" line, written after the call has
    been torn down (buffers empty), is left out."""
    rows = []
    for o in series or []:
        t = num(o.get("t_ms")) if isinstance(o, dict) else None
        if t is not None and o.get("state") != "ended":
            rows.append([round(offset_s + t / 1000.0, 3)] +
                        [num(get(o, c)) for c in STATS_COLUMNS[1:]])
    return rows


def stat_points(rows, column):
    """(t_s, value) points of one STATS_COLUMNS column, nulls left out."""
    i = STATS_COLUMNS.index(column)
    return [(r[0], r[i]) for r in rows if r[i] is not None]


def timing_metrics(video, audio, rows, duration, net=None, burst=None, drift_ppm=None):
    """The media-timing figures of one side.  video, audio: (t_s, latency_ms) per first
    shown frame and per click; rows: STATS_COLUMNS rows; all on the call's time axis.
    net: the netsim's stats of the direction into this side; burst: (start_s, len_s,
    jitter_ms) of the profile's jitter burst; drift_ppm: the sender's clock drift this
    side should measure, or None when the run has no drift.  Returns (metrics, the
    windows behind them)."""
    jb = stat_points(rows, "audio_in.jb_delay_ms")
    extra = dict(stat_points(rows, "audio_in.sync_extra_ms"))
    jb_own = [(t, v - extra.get(t, 0)) for t, v in jb]
    m, windows = {}, {}
    m["av_sync_max_ms"], windows["av_sync"] = av_sync_windows(video, audio)
    half = duration / 2.0
    m["audio_jb_second_half_ms"] = window_median(jb_own, half, math.inf)
    m["network_audio_variation_p95_ms"] = num((net or {}).get("audio_variation_p95_ms"))
    a, b = m["audio_jb_second_half_ms"], m["network_audio_variation_p95_ms"]
    m["audio_jb_vs_network_ms"] = round(abs(a - b), 2) if a is not None and b is not None \
        else None
    if burst:
        start, end = burst[0], burst[0] + burst[1]
        m["burst_level_before_ms"] = window_median(jb, BURST_BEFORE_S, start)
        m["burst_recovery_s"] = recovery_time(jb, m["burst_level_before_ms"], end,
                                              BURST_TOL_MS, window_s=BURST_ROLLING_S)
        m["burst_media_before_ms"] = window_median(audio, BURST_BEFORE_S, start)
        m["burst_recovery_media_s"] = recovery_time(audio, m["burst_media_before_ms"], end,
                                                    BURST_TOL_MS, min_tail=BURST_MEDIA_TAIL)
    if drift_ppm is not None:
        m["drift_delay_change_ms"], windows["drift"] = drift_windows(audio)
        ppm = stat_points(rows, "audio_in.drift_ppm")
        m["drift_ppm_median"] = window_median(ppm, half, math.inf)
        m["drift_ppm_expected"] = drift_ppm
        m["drift_ppm_err"] = (round(abs(m["drift_ppm_median"] - drift_ppm), 1)
                              if m["drift_ppm_median"] is not None else None)
    return m, windows


def side_metrics(video, audio, own_final, other_final, duration, expected_hz,
                 render_times=None, call_end=None, blackout_abs=None, fps=30,
                 own_series=None):
    """What one side received, from its analysed media and both final stats lines.
    video/audio: vc-analyze output (dict or None); *_final: last stats object;
    own_series: all of this side's stats lines.  The daemon's e2e latency is the
    median of its per-second means over the call (what the media's p50 measures),
    or the final line's value when the series is not given."""
    video, audio = video or {}, audio or {}
    own_final, other_final = own_final or {}, other_final or {}
    series = own_series if own_series else [own_final]
    sent = num(get(other_final, "video_out.frames_encoded"))
    shown = num(video.get("unique_frames"))
    m = {
        "frames_sent": sent,
        "frames_shown": shown,
        "shown_ratio": ratio(shown, sent) if sent else num(video.get("shown_ratio")),
        "frames_lost": num(video.get("frames_lost")),
        "psnr_mean": num(video.get("psnr_mean")),
        "psnr_min": num(video.get("psnr_min")),
        "video_p50_ms": num(get(video, "latency_ms.p50")),
        "video_p95_ms": num(get(video, "latency_ms.p95")),
        "daemon_video_e2e_ms": median_of(series, "video_in.e2e_latency_ms"),
        "freezes": num(video.get("freezes")),
        "freeze_ms": num(video.get("freeze_ms")),
        "daemon_freezes": num(get(own_final, "video_in.freezes")),
        "video_packets_lost": num(get(own_final, "video_in.packets_lost")),
        "frames_decoded": num(get(own_final, "video_in.frames_decoded")),
        "audio_expected_hz": expected_hz,
        "audio_freq_hz": num(audio.get("freq_hz")),
        "clicks": num(audio.get("clicks")),
        "audio_p50_ms": num(get(audio, "latency_ms.p50")),
        "audio_p95_ms": num(get(audio, "latency_ms.p95")),
        "daemon_audio_e2e_ms": median_of(series, "audio_in.e2e_latency_ms"),
        "audio_dropout_ms": num(audio.get("dropout_ms")),
        "daemon_av_sync_ms": median_of(series, "av_sync_ms"),
        "audio_concealed_ms": num(get(own_final, "audio_in.concealed_ms")),
        "audio_packets_lost": num(get(own_final, "audio_in.packets_lost")),
        "rtt_ms": num(own_final.get("rtt_ms")),
        "tail_gap_s": None,
        "after_blackout_ratio": None,
    }
    ms = duration * 1000.0
    m["freeze_ratio"] = m["freeze_ms"] / ms if m["freeze_ms"] is not None else None
    m["clicks_per_s"] = m["clicks"] / duration if m["clicks"] is not None else None
    m["audio_dropout_ratio"] = (m["audio_dropout_ms"] / ms
                                if m["audio_dropout_ms"] is not None else None)
    m["audio_concealed_ratio"] = (m["audio_concealed_ms"] / ms
                                  if m["audio_concealed_ms"] is not None else None)
    if render_times and call_end is not None:
        m["tail_gap_s"] = round(max(0.0, call_end - max(render_times)), 3)
    if blackout_abs is not None and call_end is not None:
        since = blackout_abs[1] + RECOVERY_S
        expected = (call_end - since) * fps
        if expected > 0:
            n = sum(1 for t in (render_times or []) if since <= t <= call_end)
            m["after_blackout_ratio"] = round(n / expected, 3)
    # Lip sync from the media: how much later a picture is shown than the
    # sound captured at the same moment is heard (positive: video late).
    v, a = m.get("video_p50_ms"), m.get("audio_p50_ms")
    m["av_sync_ms"] = v - a if v is not None and a is not None else None
    return m


def check(name, value, limit, ok):
    return {"name": name, "value": value, "limit": limit,
            "pass": bool(ok) if value is not None else False}


def evaluate(m, th):
    """The list of checks of one side's metrics against a threshold table."""
    out = []
    for key, limit in th.items():
        if limit is None:
            continue
        name = key.rsplit("_", 1)[0]
        if name in SKIP_WHEN_NULL and m.get(name) is None:
            out.append({"name": name, "value": None, "limit": "<= %g" % limit,
                        "pass": True, "skipped": SKIP_WHEN_NULL[name]})
            continue
        if key == "audio_freq_tol_hz":
            f, want = m.get("audio_freq_hz"), m.get("audio_expected_hz")
            out.append(check("audio_freq_hz", f, "%g+-%g" % (want, limit),
                             f is not None and abs(f - want) <= limit))
        elif key == "e2e_xcheck_ms_max":
            # The daemon's own latency against the media's, video and audio.
            for media in ("video", "audio"):
                a, b = m.get("daemon_%s_e2e_ms" % media), m.get("%s_p50_ms" % media)
                d = abs(a - b) if a is not None and b is not None else None
                out.append(check("%s_e2e_xcheck_ms" % media, d, "<= %g" % limit,
                                 d is not None and d <= limit))
        elif key in ("daemon_exit_ok", "stats_valid"):
            v = m.get(key)
            out.append(check(key, v, limit, v == limit))
        elif key.endswith("_min"):
            name, v = key[:-4], m.get(key[:-4])
            out.append(check(name, v, ">= %g" % limit, v is not None and v >= limit))
        elif key.endswith("_max"):
            name, v = key[:-4], m.get(key[:-4])
            out.append(check(name, v, "<= %g" % limit, v is not None and v <= limit))
        else:
            raise ValueError("unknown threshold " + key)
    return out


def media_points(series, t0):
    """vc-analyze's [[t_s, latency_ms], ...] (CLOCK_MONOTONIC) as (t - t0, latency)."""
    out = []
    for p in series if isinstance(series, list) else []:
        if isinstance(p, list) and len(p) == 2 and num(p[0]) is not None \
                and num(p[1]) is not None:
            out.append((p[0] - t0, p[1]))
    return out
