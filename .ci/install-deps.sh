#!/usr/bin/env bash
# Install the Debian packages vcalld needs to build and test; idempotent:
# only missing packages are installed, and apt is not touched when none are.
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config clang python3
  libvpx-dev libopus-dev portaudio19-dev libv4l-dev libsdl2-dev libsdl2-ttf-dev libspeexdsp-dev
  libjansson-dev
  fonts-dejavu-core
  # device tests: a real X server and screenshots for the window, a
  # PulseAudio daemon reached through the ALSA pulse plugin for PortAudio
  xvfb x11-apps x11-utils imagemagick xdotool
  pulseaudio libasound2-plugins
  # plots of the harness's timing series (tests/harness/plot-timing)
  gnuplot-nox
  # bench/call-cost: CPU samples per shared object (perf record / perf report)
  linux-perf
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
