#!/bin/bash
# run-echo-test.sh VCALLD PATOOL WORKDIR [ERLE_MIN_DB] - echo cancellation
# end to end, through real-time audio devices.
#
# A private PulseAudio (pulse-up.sh) has a null sink "vcmic", the room.
# vcalld A plays the call INTO the room (--audio-sink portaudio:vcmic_out)
# and its microphone is the room's monitor (--audio-source
# portaudio:vcmic_in): A's microphone hears A's speakers, delayed by
# PulseAudio's buffering and attenuated (A's playback stream is set to
# -10 dB with pactl).  vcalld B talks (--audio-source file:far.wav, a
# speech-like signal from "vc_patool speech") and records what comes back
# (--audio-sink file:b_RUN.wav): B's own speech is the echo.  In the second
# part of each call a near-end talker (vc_patool play, 440 Hz) speaks into
# the room too (double talk).
#
# The call runs twice: with A's echo canceller (the default) and with
# --no-aec.  Over the settled, echo-only part of the calls (call time
# ECHO_FROM..TALK_AT, after the filter has converged and before the talker)
#   ERLE = 10 log10(echo energy without AEC / echo energy with AEC)
# must reach ERLE_MIN_DB (default 10); the run without AEC must carry a real
# echo; the 440 Hz talker must come through both runs at the same level
# (within 3 dB: the canceller must not eat the near end); A's stats must
# show aec.on with frames counted, and aec.on false with --no-aec; in the
# measured window at most 2% of A's microphone blocks may have gone
# through without far-end reference (aec.far_underruns).  The
# echo path delay as the canceller sees it (capture time of the echo minus
# the time its far-end block was handed to the speakers) is measured first
# with "vc_patool echodelay" and printed.  Only the processes started here
# are ended, by PID.  Exit 77 = pulseaudio is not installed (a failure for
# CI, which installs it; said loudly).
set -u
here=$(cd "$(dirname "$0")" && pwd)
VCALLD=$1
PATOOL=$2
WORK=$3
ERLE_MIN_DB=${4:-10}
DUR=18        # seconds per call
ECHO_FROM=6   # call time (s) from which the echo is measured
TALK_AT=11    # call time (s) at which the near-end talker starts
A_PID=
B_PID=
P_PID=

. "$here/pulse-lib.sh"
mono() { python3 -c 'import time; print("%.6f" % time.monotonic())'; }
vc_pulse_start
command -v pactl >/dev/null || vc_fail "pactl is missing (Debian package: pulseaudio-utils)"

"$PATOOL" speech "$WORK/far.wav" $((DUR + 4)) 7 >"$WORK/speech.log" 2>&1 || vc_fail "vc_patool speech"

# The echo path delay, as vcalld's canceller will see it (its filter covers
# 0..200 ms).
delay=$("$PATOOL" echodelay vcmic_out vcmic_in 5 2>"$WORK/echodelay.log") || vc_fail "vc_patool echodelay"
echo "$delay" >"$WORK/echodelay.json"
python3 - "$delay" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
print("echo path delay (microphone capture stamp - speaker write time): %.1f ms (p5..p95 %.1f..%.1f ms, correlation %.3f)"
      % (d["delay_ms"], d["delay_ms_p5"], d["delay_ms_p95"], d["corr"]))
print("microphone capture stamps: slew %+.0f us/s against the sample count; a 10 ms block is in hand %.1f ms after its stamped end (min %.1f; negative = stamped in the future)"
      % (d["capture_stamp_slew_us_per_s"], d["capture_in_hand_ms"], d["capture_in_hand_ms_min"]))
PY

# A's playback stream: the pulse sink input of process $1.
sink_input_of() {
	pactl list sink-inputs 2>/dev/null | awk -v pid="$1" '
		/^Sink Input #/ { id = substr($3, 2) }
		/application.process.id = / { gsub(/"/, "", $3); if ($3 == pid) { print id; exit } }'
}

# call RUN [A's extra options...]
call() {
	local run=$1 t0 si i
	shift
	local PA PB
	PA=$(vc_port)
	PB=$(vc_port)
	t0=$(mono)
	"$VCALLD" --listen "127.0.0.1:$PA" --peer "127.0.0.1:$PB" --video-source none --video-sink null \
		--audio-source portaudio:vcmic_in --audio-sink portaudio:vcmic_out "$@" \
		--stats "$WORK/a_$run.jsonl" --duration $DUR >"$WORK/a_$run.log" 2>&1 &
	A_PID=$!
	"$VCALLD" --listen "127.0.0.1:$PB" --peer "127.0.0.1:$PA" --video-source none --video-sink null \
		--audio-source "file:$WORK/far.wav" --audio-sink "file:$WORK/b_$run.wav" \
		--stats "$WORK/b_$run.jsonl" --duration $DUR >"$WORK/b_$run.log" 2>&1 &
	B_PID=$!
	# The echo path's loss: A's speakers 10 dB down in the room.
	si=
	for i in $(seq 50); do
		si=$(sink_input_of "$A_PID")
		[ -n "$si" ] && break
		sleep 0.1
	done
	[ -n "$si" ] || vc_fail "$run: vcalld A's playback stream did not show up in PulseAudio"
	pactl set-sink-input-volume "$si" 0.3162 || vc_fail "$run: pactl set-sink-input-volume"
	# The near-end talker, from TALK_AT to the end of the call.
	python3 -c 'import sys, time; time.sleep(max(0, float(sys.argv[1]) - time.monotonic()))' \
		"$(python3 -c "print($t0 + $TALK_AT)")"
	local tt
	tt=$(mono)
	"$PATOOL" play vcmic_out 440 $((DUR - TALK_AT)) >"$WORK/talker_$run.log" 2>&1 &
	P_PID=$!
	for v in A_PID B_PID; do
		wait "${!v}"
		rc=$?
		eval "$v="
		[ "$rc" -eq 0 ] || vc_fail "$run: vcalld ${v%_PID} exited $rc"
	done
	wait "$P_PID"
	P_PID=
	echo "$t0 $tt" >"$WORK/times_$run"
	echo "$run: call done (A's playback = sink input $si at -10 dB)"
}

start=$(mono)
call aec
call noaec --no-aec

python3 - "$WORK" "$ECHO_FROM" "$TALK_AT" "$DUR" "$ERLE_MIN_DB" <<'PY' || vc_fail "echo cancellation"
import array, json, math, sys, wave
work, echo_from, talk_at, dur, erle_min = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
RATE = 48000
FS2 = 32768.0 ** 2

def db(e):
    return 10 * math.log10(e) if e > 0 else -200.0

def load(run):
    w = wave.open("%s/b_%s.wav" % (work, run))
    assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
    x = array.array("h", w.readframes(w.getnframes()))
    marks = [tuple(int(v) for v in l.split()) for l in open("%s/b_%s.wav.times" % (work, run))]
    t0, tt = (float(v) for v in open("%s/times_%s" % (work, run)).read().split())
    return x, marks, t0, tt

def sample_at(marks, t_us):
    """Index of the recorded sample played at monotonic time t_us."""
    best = marks[0]
    for m in marks:
        if m[1] <= t_us:
            best = m
    return max(0, int(best[0] + (t_us - best[1]) * RATE / 1e6))

def meansq(x, a, b):
    seg = x[a:b]
    return sum(v * v for v in seg) / max(1, len(seg)) / FS2

def tone_db(x, a, b, hz=440.0):
    """Level of the hz component (dBFS of its amplitude re full-scale sine), Hann-windowed Goertzel."""
    n = b - a
    w = 2 * math.pi * hz / RATE
    c = 2 * math.cos(w)
    s1 = s2 = wsum = 0.0
    for i in range(n):
        h = 0.5 - 0.5 * math.cos(2 * math.pi * (i + 0.5) / n)
        s0 = x[a + i] * h + c * s1 - s2
        s2, s1 = s1, s0
        wsum += h
    re, im = s1 - s2 * math.cos(w), s2 * math.sin(w)
    return 20 * math.log10(max(2 * math.sqrt(re * re + im * im) / wsum / 32768.0, 1e-10))

def last_stats(name):
    lines = [l for l in open("%s/%s.jsonl" % (work, name)).read().splitlines() if l.strip()]
    return json.loads(lines[-1])

fw = wave.open(work + "/far.wav")
far = array.array("h", fw.readframes(fw.getnframes()))
far_db = db(meansq(far, int(echo_from * RATE), int(talk_at * RATE)))
res = {}
for run in ("aec", "noaec"):
    x, marks, t0, tt = load(run)
    e_a = sample_at(marks, (t0 + echo_from) * 1e6)
    e_b = sample_at(marks, (tt - 0.3) * 1e6)          # the talker is not heard yet
    d_a = sample_at(marks, (tt + 1.0) * 1e6)          # the talker is on
    d_b = min(len(x), sample_at(marks, (t0 + dur - 0.7) * 1e6))
    if e_b - e_a < 3 * RATE or d_b - d_a < 3 * RATE:
        print("%s: recording too short (%d samples, windows %d..%d, %d..%d)" % (run, len(x), e_a, e_b, d_a, d_b))
        sys.exit(1)
    # per-second echo levels, to show convergence
    secs = []
    for s in range(int(dur)):
        a = sample_at(marks, (t0 + s) * 1e6)
        b = min(sample_at(marks, (t0 + s + 1) * 1e6), len(x))
        secs.append(round(db(meansq(x, a, b)), 1) if b - a > RATE // 2 else None)
    a_st, b_st = last_stats("a_" + run), last_stats("b_" + run)
    # far_underruns over the measured window (A's per-second stats)
    lines = [json.loads(l) for l in open("%s/a_%s.jsonl" % (work, run)) if l.strip()]
    win = [l["audio_out"].get("aec") or {} for l in lines if echo_from * 1000 <= l["t_ms"] <= talk_at * 1000]
    starved = None
    if len(win) >= 2 and "frames" in win[0]:
        df = win[-1]["frames"] - win[0]["frames"]
        du = win[-1]["far_underruns"] - win[0]["far_underruns"]
        starved = du / max(1, df + du)
    res[run] = dict(echo=meansq(x, e_a, e_b), tone=tone_db(x, d_a, d_b), secs=secs,
                    aec=a_st["audio_out"].get("aec"), b_in=b_st.get("audio_in", {}),
                    a_in=a_st.get("audio_in", {}), starved=starved)
    print("%s: echo %.1f dBFS over %.1f s; 440 Hz talker %.1f dBFS; per second of the call: %s"
          % (run, db(res[run]["echo"]), (e_b - e_a) / RATE, res[run]["tone"], secs))
    print("%s: A aec %s%s; B audio_in concealed_ms %s, packets %s" % (run, json.dumps(res[run]["aec"]),
          "" if starved is None else " (%.0f%% of the blocks without far-end reference in the measured window)" % (100 * starved),
          res[run]["b_in"].get("concealed_ms"), res[run]["b_in"].get("packets")))

erle = db(res["noaec"]["echo"]) - db(res["aec"]["echo"])
erl = far_db - db(res["noaec"]["echo"])
dtone = res["aec"]["tone"] - res["noaec"]["tone"]
print("far-end speech %.1f dBFS; echo without AEC %.1f dBFS (echo return loss %.1f dB); with AEC %.1f dBFS"
      % (far_db, db(res["noaec"]["echo"]), erl, db(res["aec"]["echo"])))
print("ERLE = %.1f dB (bar %.1f dB); near-end talker with AEC vs without: %+.1f dB" % (erle, erle_min, dtone))
ok = True
aec, noaec = res["aec"]["aec"], res["noaec"]["aec"]
if not (isinstance(aec, dict) and aec.get("on") is True and aec.get("frames", 0) > 0):
    print("the AEC run's stats do not show a running canceller: %s" % aec); ok = False
if not (isinstance(noaec, dict) and noaec.get("on") is False):
    print("the --no-aec run's stats do not show the canceller off: %s" % noaec); ok = False
if res["aec"]["starved"] is not None and res["aec"]["starved"] > 0.02:
    print("the canceller had no far-end reference for %.0f%% of the microphone blocks in the measured window "
          "(far_underruns: the far-end samples for those blocks were not pushed yet, or are out of its history)"
          % (100 * res["aec"]["starved"])); ok = False
if db(res["noaec"]["echo"]) < -45.0:
    print("without AEC the echo is only %.1f dBFS: no echo path, the test proves nothing" % db(res["noaec"]["echo"])); ok = False
if erle < erle_min:
    print("ERLE %.1f dB < %.1f dB" % (erle, erle_min)); ok = False
for run in ("aec", "noaec"):
    if res[run]["tone"] < -30.0:
        print("%s: the near-end talker is missing (%.1f dBFS at 440 Hz)" % (run, res[run]["tone"])); ok = False
if abs(dtone) > 3.0:
    print("double talk: the canceller changed the near-end talker by %+.1f dB" % dtone); ok = False
json.dump(dict(erle_db=round(erle, 2), echo_noaec_dbfs=round(db(res["noaec"]["echo"]), 2),
               echo_aec_dbfs=round(db(res["aec"]["echo"]), 2), erl_db=round(erl, 2),
               talker_delta_db=round(dtone, 2), aec_stats=aec,
               starved=res["aec"]["starved"]), open(work + "/result.json", "w"))
sys.exit(0 if ok else 1)
PY
echo "test time: $(python3 -c "print('%.0f s' % ($(mono) - $start))") for the calls and analysis"
echo PASS
