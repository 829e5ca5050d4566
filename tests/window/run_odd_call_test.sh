#!/bin/bash
# run_odd_call_test.sh VCALLD CALLSHOT WORKDIR - a peer whose picture is
# 321x241, shown in a real window.  vcalld A (--video-sink sdl, its camera
# stand-in a green Y4M) calls vcalld B (testsrc 322x242) through
# odd_relay.py, which makes B's VP8 a 321x241 stream (see there: capture and
# the encoder take even sizes only, the decoder any).  A must decode
# 321x241 pictures (its stats say so) and show them: a screenshot under a
# private Xvfb must hold B's testsrc (its barcode decodes) and A's green
# self-view.  Then both hang up cleanly.
# Needs: xvfb, x11-apps (xwd), imagemagick, python3.
set -u
. "$(dirname "$0")/xvfb.sh"

VCALLD=$1
CALLSHOT=$2
WORK=$3
RELAY="$(dirname "$0")/odd_relay.py"
XVFB_PID=
A_PID=
B_PID=
R_PID=

cleanup() {
	for p in $A_PID $B_PID $R_PID $XVFB_PID; do
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

for tool in Xvfb xwd convert python3; do
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

read -r PA PB RA RB < <(python3 -c '
import socket
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')

python3 "$RELAY" "$PA" "$PB" "$RA" "$RB" "$WORK/relay.txt" &
R_PID=$!
unset WAYLAND_DISPLAY
DISPLAY=$DISP SDL_VIDEODRIVER=x11 "$VCALLD" --listen "127.0.0.1:$PA" --peer "127.0.0.1:$RA" \
	--video-source "file:$WORK/green.y4m" --audio-source tone --video-sink sdl --audio-sink null \
	--stats "$WORK/a.jsonl" --duration 20 >"$WORK/a.log" 2>&1 &
A_PID=$!
env -u DISPLAY "$VCALLD" --listen "127.0.0.1:$PB" --peer "127.0.0.1:$RB" \
	--video-source testsrc --size 322x242 --audio-source tone --video-sink null \
	--audio-sink null --stats "$WORK/b.jsonl" --duration 20 >"$WORK/b.log" 2>&1 &
B_PID=$!

# A's stats: 321x241 pictures decoded, a few seconds' worth.
size=
for _ in $(seq 100); do
	sleep 0.1
	kill -0 "$A_PID" 2>/dev/null || fail "vcalld A died"
	size=$(python3 - "$WORK/a.jsonl" <<'PY'
import json, sys
try:
    rows = [json.loads(l) for l in open(sys.argv[1]).read().split("\n")[:-1] if l.strip()]
except (OSError, ValueError):
    rows = []
v = rows[-1]["video_in"] if rows else {}
if v.get("frames_decoded", 0) >= 30:
    print("%dx%d %d" % (v["width"], v["height"], v["frames_decoded"]))
PY
)
	[ -n "$size" ] && break
done
[ -n "$size" ] || fail "A decoded no video from B"
echo "A decoded: $size (WxH frames)"
case "$size" in
"321x241 "*) ;;
*) fail "A's pictures are not 321x241: $size" ;;
esac
grep -q "using null" "$WORK/a.log" && fail "A did not open its window"

xwd -root -silent -display "$DISP" -out "$WORK/odd.xwd" || fail "xwd"
convert "xwd:$WORK/odd.xwd" -depth 8 "rgb:$WORK/odd.rgb" || fail "convert"
convert "xwd:$WORK/odd.xwd" "png:$WORK/odd.png" || fail "convert png"
echo "screenshot: $WORK/odd.png"
"$CALLSHOT" "$WORK/odd.rgb" || fail "the screen does not show the 321x241 peer"

kill -TERM "$A_PID"
wait "$A_PID"
rc=$?
A_PID=
[ "$rc" -eq 0 ] || fail "vcalld A exited $rc"
wait "$B_PID"
rc=$?
B_PID=
[ "$rc" -eq 0 ] || fail "vcalld B exited $rc"
grep -q "peer hung up" "$WORK/b.log" || fail "B did not see A hang up"
kill -TERM "$R_PID"
wait "$R_PID"
R_PID=
cat "$WORK/relay.txt" 2>/dev/null || fail "the relay wrote no counts"
grep -q "^[1-9][0-9]* keyframes patched (0 of another size)" "$WORK/relay.txt" ||
	fail "the relay patched no 322x242 keyframe (or saw another size)"
python3 - "$WORK/a.jsonl" <<'PY' || fail "A's video of the odd-sized peer was not smooth"
import json, sys
last = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]["video_in"]
print("A at the end: %dx%d, %d frames decoded, %d dropped, %d freezes"
      % (last["width"], last["height"], last["frames_decoded"], last["frames_dropped"], last["freezes"]))
sys.exit(0 if (last["width"], last["height"]) == (321, 241) and last["freezes"] <= 1 else 1)
PY
echo "PASS"
