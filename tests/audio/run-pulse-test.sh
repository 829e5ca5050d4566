#!/bin/sh
# run-pulse-test.sh TEST_BINARY - run a real-time audio test against a
# private PulseAudio daemon (pulse-up.sh), then stop that daemon.
# Exit status: the test's, or 77 (ctest: skipped) when pulseaudio is not
# installed, which is said loudly on stderr and stdout.
set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
dir=$(mktemp -d "${TMPDIR:-/tmp}/vcalld-pulse.XXXXXX") || exit 1

env_lines=$("$here/pulse-up.sh" "$dir")
rc=$?
if [ $rc -eq 77 ]; then
	msg="SKIPPED: pulseaudio is not installed, the real-time audio test did not run (apt-get install pulseaudio libasound2-plugins)"
	echo "$msg"
	echo "$msg" >&2
	rmdir "$dir" 2>/dev/null
	exit 77
fi
if [ $rc -ne 0 ]; then
	echo "run-pulse-test.sh: could not start PulseAudio (see above)" >&2
	"$here/pulse-up.sh" --stop "$dir"
	exit 1
fi
trap '"$here/pulse-up.sh" --stop "$dir"' EXIT INT TERM
eval "$env_lines"
echo "PulseAudio $VC_PULSE_PID on $PULSE_SERVER" >&2
"$bin"
