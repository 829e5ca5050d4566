#!/bin/sh
# pulse-up.sh - a private PulseAudio daemon with a null sink, for tests.
#
#   pulse-up.sh [DIR]         start it (idempotent) and print the environment
#                             a test needs, as "export NAME=value" lines;
#   pulse-up.sh --stop [DIR]  stop the daemon this script started in DIR
#                             (by the PID it recorded), and remove DIR's files.
#
# DIR (default $VC_PULSE_DIR, else /tmp/vcalld-pulse-$(id -u)) holds the
# daemon's runtime directory, its socket, log and PID, and an asound.conf
# made from asoundrc.in: with ALSA_CONFIG_PATH=DIR/asound.conf, PortAudio's
# ALSA host API lists
#   vcpulse_out  the null sink "vcnull" (48 kHz mono, paced in real time),
#   vcpulse_mon  the sink's monitor source: records what vcpulse_out played,
# plus vcin (silence), vcout (discards) and default.
# The daemon runs in the foreground of a background job so its PID is known;
# no D-Bus, no autospawn, no cookie (anonymous auth on a private socket).
# Works as root (PulseAudio warns that it is not meant to) and as a user.
#
# Exit status: 0 ok, 77 pulseaudio is not installed, 1 anything else.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
stop=0
if [ "${1:-}" = "--stop" ]; then
	stop=1
	shift
fi
dir=${1:-${VC_PULSE_DIR:-/tmp/vcalld-pulse-$(id -u)}}
run="$dir/run"
pidfile="$dir/pulseaudio.pid"
sock="$run/native"

# Is the PID in pidfile alive and a pulseaudio we started?
alive() {
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "pulseaudio" ]
}

print_env() {
	echo "export ALSA_CONFIG_PATH='$dir/asound.conf'"
	echo "export PULSE_SERVER='unix:$sock'"
	echo "export VC_PULSE_PID='$(cat "$pidfile")'"
}

if [ "$stop" = 1 ]; then
	if alive; then
		kill -TERM "$pid"
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$pidfile" "$dir/asound.conf" "$dir/pulseaudio.log"
	rm -rf "$run" "$dir/.config"
	rmdir "$dir" 2>/dev/null || true
	exit 0
fi

if ! command -v pulseaudio >/dev/null 2>&1; then
	echo "pulse-up.sh: pulseaudio is not installed (Debian package: pulseaudio)" >&2
	exit 77
fi

mkdir -p "$dir" "$run"
chmod 700 "$dir" "$run"
# Written aside and renamed: a running PortAudio may re-read it at any time.
sed -e "s#@VC_IN_FILE@#/dev/zero#g" \
    -e "s#@VC_OUT_FILE@#/dev/null#g" \
    -e "s#@VC_PULSE_SINK@#vcnull#g" "$here/asoundrc.in" >"$dir/asound.conf.new"
mv -f "$dir/asound.conf.new" "$dir/asound.conf"


if alive && [ -S "$sock" ]; then
	print_env
	exit 0
fi
rm -f "$sock" "$pidfile"

# The environment the daemon sees: everything private to DIR.
HOME="$dir" XDG_RUNTIME_DIR="$run" PULSE_RUNTIME_PATH="$run" \
XDG_CONFIG_HOME="$dir/.config" PULSE_STATE_PATH="$dir/.config/pulse" \
	pulseaudio -n --daemonize=no --exit-idle-time=-1 --disallow-exit \
	--use-pid-file=no --realtime=no --high-priority=no --log-level=notice \
	--log-target="file:$dir/pulseaudio.log" \
	--load="module-null-sink sink_name=vcnull rate=48000 channels=1" \
	--load="module-null-sink sink_name=vcmic rate=48000 channels=1" \
	--load="module-native-protocol-unix socket=$sock auth-anonymous=1" \
	</dev/null >/dev/null 2>&1 &
echo $! >"$pidfile"

# The modules load in order, so once the socket exists the sink does too.
i=0
while [ ! -S "$sock" ]; do
	if ! alive; then
		echo "pulse-up.sh: pulseaudio exited; its log ($dir/pulseaudio.log):" >&2
		cat "$dir/pulseaudio.log" >&2 2>/dev/null || true
		rm -f "$pidfile"
		exit 1
	fi
	if [ $i -ge 100 ]; then
		echo "pulse-up.sh: no socket at $sock after 10 s" >&2
		"$0" --stop "$dir"
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
print_env
