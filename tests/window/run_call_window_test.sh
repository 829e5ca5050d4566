#!/bin/bash
# run_call_window_test.sh VCALLD CALLSHOT WORKDIR - a real call shown in a
# real window: vcalld A (--video-sink sdl, its camera stand-in a green Y4M)
# calls vcalld B (testsrc) on loopback under a private Xvfb; a screenshot
# of the screen must show B's picture (its barcode decodes) and A's green
# self-view, and the title must name the peer and the call state.  Then the
# keys, typed for real through XTEST: s must bring up the stats overlay (a
# second screenshot); m and v must reach the peer (B's recording ends in
# silence and black where it had A's tone and green picture); q must hang
# up: A exits 0 by itself, B sees the BYE.
# Needs: xvfb, x11-apps (xwd), imagemagick, x11-utils (xprop), xdotool.
set -u
. "$(dirname "$0")/xvfb.sh"

VCALLD=$1
CALLSHOT=$2
WORK=$3
XVFB_PID=
A_PID=
B_PID=

cleanup() {
	for p in $A_PID $B_PID $XVFB_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	for f in a.log b.log; do
		[ -f "$WORK/$f" ] && sed "s/^/  $f: /" "$WORK/$f" >&2
	done
	exit 1
}

for tool in Xvfb xwd convert xprop xdotool python3; do
	command -v "$tool" >/dev/null || fail "$tool not found"
done
rm -rf "$WORK"
mkdir -p "$WORK" || fail "cannot make $WORK"
xvfb_start "$WORK" || fail "could not start Xvfb"
echo "Xvfb $DISP (pid $XVFB_PID)"

# A's picture: plain green (BT.601 Y=145 U=54 V=34), 640x480, 30 frames.
python3 - "$WORK/green.y4m" <<'PY' || fail "cannot write green.y4m"
import sys
w, h = 640, 480
with open(sys.argv[1], "wb") as f:
    f.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
    frame = b"FRAME\n" + bytes([145]) * (w * h) + bytes([54]) * (w * h // 4) + bytes([34]) * (w * h // 4)
    for _ in range(30):
        f.write(frame)
PY

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PA=$(port)
PB=$(port)

unset WAYLAND_DISPLAY
DISPLAY=$DISP SDL_VIDEODRIVER=x11 "$VCALLD" --listen "127.0.0.1:$PA" --peer "127.0.0.1:$PB" \
	--video-source "file:$WORK/green.y4m" --audio-source tone --video-sink sdl --audio-sink null \
	--stats "$WORK/a.jsonl" --duration 30 >"$WORK/a.log" 2>&1 &
A_PID=$!
env -u DISPLAY "$VCALLD" --listen "127.0.0.1:$PB" --peer "127.0.0.1:$PA" \
	--video-source testsrc --audio-source tone --video-sink "file:$WORK/b.y4m" \
	--audio-sink "file:$WORK/b.wav" --stats "$WORK/b.jsonl" --duration 30 >"$WORK/b.log" 2>&1 &
B_PID=$!

sleep 3
kill -0 "$A_PID" 2>/dev/null || fail "vcalld A died"
grep -q "using null" "$WORK/a.log" && fail "A did not open its window"
xwd -root -silent -display "$DISP" -out "$WORK/call.xwd" || fail "xwd"
convert "xwd:$WORK/call.xwd" -depth 8 "rgb:$WORK/call.rgb" || fail "convert"
convert "xwd:$WORK/call.xwd" "png:$WORK/call.png" || fail "convert png"
echo "screenshot: $WORK/call.png"
title=$(xprop -display "$DISP" -name "vcalld: 127.0.0.1:$PB (connected)" WM_NAME 2>&1) ||
	fail "no window titled 'vcalld: 127.0.0.1:$PB (connected)': $title"
echo "title: $title"
"$CALLSHOT" "$WORK/call.rgb" || fail "the screen does not show the call"

# s: the stats overlay (it is drawn with the next second's figures).
wid=$(DISPLAY=$DISP xdotool search --name "^vcalld: " | head -1)
[ -n "$wid" ] || fail "xdotool cannot find the window"
DISPLAY=$DISP xdotool windowfocus --sync "$wid" 2>/dev/null || true
DISPLAY=$DISP xdotool key --clearmodifiers s || fail "xdotool key s"
sleep 1.5
xwd -root -silent -display "$DISP" -out "$WORK/overlay.xwd" || fail "xwd"
convert "xwd:$WORK/overlay.xwd" -depth 8 "rgb:$WORK/overlay.rgb" || fail "convert"
convert "xwd:$WORK/overlay.xwd" "png:$WORK/overlay.png" || fail "convert png"
echo "screenshot: $WORK/overlay.png"
"$CALLSHOT" overlay "$WORK/call.rgb" "$WORK/overlay.rgb" || fail "no stats overlay after the s key"

# m and v: mute the microphone, turn the camera off.
DISPLAY=$DISP xdotool key --clearmodifiers m || fail "xdotool key m"
DISPLAY=$DISP xdotool key --clearmodifiers v || fail "xdotool key v"
sleep 2.5
t=$(DISPLAY=$DISP xprop -name "vcalld: 127.0.0.1:$PB (connected, muted, camera off)" WM_NAME 2>&1) ||
	fail "title does not say muted and camera off: $t"

# q: hang up from the window.
DISPLAY=$DISP xdotool key --clearmodifiers q || fail "xdotool key q"
for _ in $(seq 100); do
	kill -0 "$A_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$A_PID" 2>/dev/null && fail "q did not hang up"
wait "$A_PID"
rc=$?
A_PID=
[ "$rc" -eq 0 ] || fail "vcalld A exited $rc after q"
grep -q "hanging up (window)" "$WORK/a.log" || fail "A did not hang up from the window"
wait "$B_PID"
rc=$?
B_PID=
[ "$rc" -eq 0 ] || fail "vcalld B exited $rc"
grep -q "peer hung up" "$WORK/b.log" || fail "B did not see A hang up"

# What B received: A's green picture and tone at first, black and silence
# at the end (after m and v).  Muted, A's Opus runs DTX and sends almost
# nothing; B must take that gap for silence (dtx_ms), not for loss.
python3 - "$WORK/b.y4m" "$WORK/b.wav" "$WORK/a.jsonl" "$WORK/b.jsonl" <<'PY' || fail "m/v did not reach the peer"
import sys, wave, array, json
y4m, wav = sys.argv[1], sys.argv[2]
a_last = json.loads(open(sys.argv[3]).read().splitlines()[-1])
b_last = json.loads(open(sys.argv[4]).read().splitlines()[-1])
dtx_sent, dtx_ms = a_last["audio_out"]["dtx_frames"], b_last["audio_in"]["dtx_ms"]
concealed = b_last["audio_in"]["concealed_ms"]
print("A left out %d DTX frames; B played %d ms of DTX silence, concealed %d ms"
      % (dtx_sent, dtx_ms, concealed))
dtx_ok = dtx_sent >= 50 and dtx_ms >= 1000 and concealed <= 200
data = open(y4m, "rb").read()
w, h = 640, 480
fsize = w * h * 3 // 2
frames = []
pos = data.index(b"\n") + 1
while pos < len(data):
    pos = data.index(b"\n", pos) + 1
    frames.append(sum(data[pos:pos + w * h:97]) / len(range(0, w * h, 97)))
    pos += fsize
with wave.open(wav) as f:
    pcm = array.array("h", f.readframes(f.getnframes()))
def rms(a): return (sum(x * x for x in a) / max(1, len(a))) ** 0.5
early, late = rms(pcm[48000:48000 + 14400]), rms(pcm[-14400 - 2400:-2400])
print("B saw luma %.0f early, %.0f at the end; heard RMS %.0f early, %.0f at the end"
      % (frames[30], frames[-5], early, late))
ok = frames[30] > 120 and frames[-5] < 30 and early > 1000 and late < 100 and dtx_ok
sys.exit(0 if ok else 1)
PY
echo "PASS"
