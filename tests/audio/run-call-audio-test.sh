#!/bin/bash
# run-call-audio-test.sh VCALLD PATOOL ANALYZE WORKDIR - a call through
# real-time audio devices.  A private PulseAudio (pulse-up.sh) has two null
# sinks: "vcmic", the room, where vc_patool plays a 440 Hz tone and whose
# monitor is vcalld A's PortAudio microphone, and "vcnull", vcalld B's
# PortAudio speakers, whose monitor vc_patool records.  The recording must
# be the 440 Hz tone without long dropouts.  Then the audio server goes
# away for a second (every device of both daemons fails) and comes back:
# the call must go on, both daemons must count the outage, reopen their
# devices and carry the tone again.  Only the processes started here are
# ended, by PID.
set -u
here=$(cd "$(dirname "$0")" && pwd)
VCALLD=$1
PATOOL=$2
ANALYZE=$3
WORK=$4
A_PID=
B_PID=
P_PID=

. "$here/pulse-lib.sh"
vc_pulse_start

PA=$(vc_port)
PB=$(vc_port)
"$PATOOL" play vcmic_out 440 30 >"$WORK/play.log" 2>&1 &
P_PID=$!
"$VCALLD" --listen "127.0.0.1:$PA" --peer "127.0.0.1:$PB" --video-source none --video-sink null \
	--audio-source portaudio:vcmic_in --audio-sink null --stats "$WORK/a.jsonl" --duration 20 \
	>"$WORK/a.log" 2>&1 &
A_PID=$!
"$VCALLD" --listen "127.0.0.1:$PB" --peer "127.0.0.1:$PA" --video-source none --video-sink null \
	--audio-source tone:1000 --audio-sink portaudio:vcpulse_out --stats "$WORK/b.jsonl" --duration 20 \
	>"$WORK/b.log" 2>&1 &
B_PID=$!
# What B's speakers play, from the 3rd to the 7th second of the call.
"$PATOOL" rec vcpulse_mon 3 4 "$WORK/heard.wav" >"$WORK/rec.log" 2>&1 || vc_fail "recording failed"

# The audio server goes away (t = 7 s) and comes back a second later.
kill "$P_PID" 2>/dev/null
wait "$P_PID" 2>/dev/null
P_PID=
# Only the server dies, as when it crashes: the ALSA configuration stays
# (PortAudio 19.6 aborts in Pa_Initialize when ALSA lists no device at all,
# upstream issue #294, so a vanished configuration is not a fair test).
kill -KILL "$VC_PULSE_PID"
while kill -0 "$VC_PULSE_PID" 2>/dev/null; do sleep 0.05; done
sleep 1
env_lines=$("$here/pulse-up.sh" "$dir") || vc_fail "could not restart PulseAudio"
eval "$env_lines"
echo "PulseAudio restarted: $VC_PULSE_PID"
"$PATOOL" play vcmic_out 440 20 >"$WORK/play2.log" 2>&1 &
P_PID=$!
# What B's speakers play once both daemons have had time to reopen
# (backoff 0.25 s doubling): t = 13..17 s.
"$PATOOL" rec vcpulse_mon 4 4 "$WORK/heard2.wav" >"$WORK/rec2.log" 2>&1 || vc_fail "recording after the restart failed"
for v in A_PID B_PID; do
	wait "${!v}"
	rc=$?
	eval "$v="
	[ "$rc" -eq 0 ] || vc_fail "vcalld ${v%_PID} exited $rc"
done
res=$("$ANALYZE" audio --recv "$WORK/heard.wav" --tone 440) || vc_fail "vc-analyze: $res"
echo "heard before the outage: $res"
res2=$("$ANALYZE" audio --recv "$WORK/heard2.wav" --tone 440) || vc_fail "vc-analyze: $res2"
echo "heard after the outage: $res2"
python3 - "$res" "$res2" "$WORK/a.jsonl" "$WORK/b.jsonl" <<'PY' || vc_fail "the speakers did not play the microphone's tone"
import json, sys
r, r2 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
a_last = json.loads(open(sys.argv[3]).read().splitlines()[-1])
last = json.loads(open(sys.argv[4]).read().splitlines()[-1])
print("A audio_out:", a_last["audio_out"])
print("B audio_in:", {k: last["audio_in"].get(k) for k in ("packets", "concealed_ms", "underflows", "speaker_outages")})
ok = True
if a_last["audio_out"]["mic_outages"] < 1 or last["audio_in"]["speaker_outages"] < 1:
    print("the outage was not noticed and counted"); ok = False
if not (r2["freq_hz"] and abs(r2["freq_hz"] - 440) < 5) or r2["dropout_ms"] > 400:
    print("after the outage: %s Hz, %s ms dropouts" % (r2["freq_hz"], r2["dropout_ms"])); ok = False
if not (r["freq_hz"] and abs(r["freq_hz"] - 440) < 5):
    print("frequency %s, want 440 +- 5" % r["freq_hz"]); ok = False
if r["rms_dbfs"] is None or r["rms_dbfs"] < -30:
    print("level %s dBFS: (almost) silence" % r["rms_dbfs"]); ok = False
if r["dropout_ms"] > 200:
    print("dropouts %s ms in 4 s" % r["dropout_ms"]); ok = False
if last["audio_in"]["packets"] < 600:
    print("B received only %s audio packets" % last["audio_in"]["packets"]); ok = False
sys.exit(0 if ok else 1)
PY
echo PASS
