#!/bin/bash
# run_window_test.sh WINTEST WORKDIR - the call window on a real X server.
#
# Starts its own Xvfb (640x480, first free display from :91), runs
# "vc_wintest show" and takes a screenshot of the root window at each of its
# phases (xwd -> raw RGB with ImageMagick, plus a PNG for people), checks the
# window title with xprop when installed, then "vc_wintest check" judges the
# screenshots and "vc_wintest nofont" runs without a font.  Only the Xvfb and
# the program started here are ever killed, by PID, also on failure.
# Needs: xvfb, x11-apps (xwd), imagemagick, fonts-dejavu-core; x11-utils
# (xprop) optional.
set -u
. "$(dirname "$0")/xvfb.sh"

WINTEST=$1
WORK=$2
XVFB_PID=
APP_PID=

cleanup() {
	if [ -n "$APP_PID" ]; then
		kill "$APP_PID" 2>/dev/null
		wait "$APP_PID" 2>/dev/null
	fi
	if [ -n "$XVFB_PID" ]; then
		kill "$XVFB_PID" 2>/dev/null
		wait "$XVFB_PID" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
	echo "FAIL: $*" >&2
	[ -f "$WORK/show.log" ] && sed 's/^/  show: /' "$WORK/show.log" >&2
	exit 1
}

for tool in Xvfb xwd convert; do
	command -v "$tool" >/dev/null || fail "$tool not found (Debian: xvfb x11-apps imagemagick)"
done

rm -rf "$WORK"
mkdir -p "$WORK" || fail "cannot make $WORK"

xvfb_start "$WORK" || fail "could not start Xvfb on :91..:140"
echo "Xvfb $DISP (pid $XVFB_PID)"

unset WAYLAND_DISPLAY
export DISPLAY=$DISP SDL_VIDEODRIVER=x11

"$WINTEST" show "$WORK" >"$WORK/show.log" 2>&1 &
APP_PID=$!

for phase in waiting remote overlay letterbox odd; do
	for _ in $(seq 400); do
		[ -f "$WORK/$phase.ready" ] && break
		kill -0 "$APP_PID" 2>/dev/null || fail "vc_wintest show died before $phase"
		sleep 0.05
	done
	[ -f "$WORK/$phase.ready" ] || fail "vc_wintest show never reached $phase"
	xwd -root -silent -display "$DISP" -out "$WORK/$phase.xwd" || fail "xwd ($phase)"
	convert "xwd:$WORK/$phase.xwd" -depth 8 "rgb:$WORK/$phase.rgb" || fail "convert ($phase)"
	convert "xwd:$WORK/$phase.xwd" "png:$WORK/$phase.png" || fail "convert png ($phase)"
	if [ "$phase" = remote ]; then
		if command -v xprop >/dev/null; then
			t=$(xprop -display "$DISP" -name "vcalld-wintest: in call with 192.0.2.7" WM_NAME) ||
				fail "no window titled 'vcalld-wintest: in call with 192.0.2.7'"
			echo "title: $t"
		else
			echo "xprop not installed: title not checked"
		fi
	fi
	echo "screenshot: $WORK/$phase.png"
	touch "$WORK/$phase.done"
done

wait "$APP_PID"
rc=$?
APP_PID=
sed 's/^/  show: /' "$WORK/show.log"
[ "$rc" -eq 0 ] || fail "vc_wintest show exited $rc"

"$WINTEST" check "$WORK" || fail "screenshots do not show what was drawn"

"$WINTEST" nofont 2>"$WORK/nofont.err"
rc=$?
sed 's/^/  nofont: /' "$WORK/nofont.err"
[ "$rc" -eq 0 ] || fail "vc_wintest nofont exited $rc"
notes=$(grep -c "overlay text disabled" "$WORK/nofont.err")
[ "$notes" = 1 ] || fail "missing font: $notes notes on stderr, want exactly 1"

echo "PASS"
