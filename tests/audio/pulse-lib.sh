# pulse-lib.sh - sourced by the audio call tests (bash): a fresh $WORK, a
# private PulseAudio in $dir, the processes the test started ($A_PID
# $B_PID $P_PID: only these are ended, by PID), and how a test fails.
# The caller sets here, WORK and the three PID variables (empty).

vc_cleanup() {
	for p in $A_PID $B_PID $P_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	"$here/pulse-up.sh" --stop "$dir"
}

vc_fail() {
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.log; do
		[ -f "$f" ] && sed "s/^/  $(basename "$f"): /" "$f" >&2
	done
	exit 1
}

vc_port() {
	python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Make $WORK afresh, start the private PulseAudio and take its environment
# (and the ability to restart it: $dir), with one retry
# (now and then a fresh daemon exits at once).  Exit 77 when pulseaudio is
# not installed (a failure for CI, which installs it: said loudly).
vc_pulse_start() {
	local env_lines rc
	rm -rf "$WORK"
	mkdir -p "$WORK" || exit 1
	dir=$(mktemp -d "${TMPDIR:-/tmp}/vcalld-pulse.XXXXXX") || exit 1
	env_lines=$("$here/pulse-up.sh" "$dir")
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		"$here/pulse-up.sh" --stop "$dir"
		mkdir -p "$dir"
		sleep 1
		env_lines=$("$here/pulse-up.sh" "$dir")
		rc=$?
	fi
	if [ $rc -eq 77 ]; then
		local msg="SKIPPED: pulseaudio is not installed, the test did not run (apt-get install pulseaudio libasound2-plugins)"
		echo "$msg"
		echo "$msg" >&2
		rmdir "$dir" 2>/dev/null
		exit 77
	fi
	[ $rc -eq 0 ] || { "$here/pulse-up.sh" --stop "$dir"; vc_fail "could not start PulseAudio"; }
	trap vc_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	eval "$env_lines"
	echo "PulseAudio $VC_PULSE_PID on $PULSE_SERVER"
}
