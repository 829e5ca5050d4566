# xvfb.sh - sourced by the window tests: xvfb_start WORKDIR starts a private
# Xvfb (640x480x24, first free display from :91, no TCP) and sets DISP and
# XVFB_PID; returns 1 if none could be started.  The caller kills XVFB_PID
# (and only it) in its EXIT trap.  If the caller is killed outright, Xvfb
# goes with it (parent-death signal via setpriv, from util-linux).
xvfb_start() {
	local WORK=$1
	# If this script is killed outright (no trap runs), Xvfb still goes with it.
	PDEATH=
	if command -v setpriv >/dev/null && setpriv --pdeathsig TERM true 2>/dev/null; then
		PDEATH="setpriv --pdeathsig TERM"
	fi

	DISP=
	for n in $(seq 91 140); do
		if [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; then
			continue
		fi
		$PDEATH Xvfb ":$n" -screen 0 640x480x24 -nolisten tcp -noreset >"$WORK/xvfb-$n.log" 2>&1 &
		XVFB_PID=$!
		for _ in $(seq 100); do
			[ -S "/tmp/.X11-unix/X$n" ] && break
			kill -0 "$XVFB_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$XVFB_PID" 2>/dev/null && [ -S "/tmp/.X11-unix/X$n" ]; then
			DISP=":$n"
			break
		fi
		# Lost a race for this number: it exited (or never came up); next one.
		kill "$XVFB_PID" 2>/dev/null
		wait "$XVFB_PID" 2>/dev/null
		XVFB_PID=
	done
	[ -n "$DISP" ]
}
