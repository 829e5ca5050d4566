#!/bin/sh
# pulse-down.sh [DIR] - stop the daemon pulse-up.sh started in DIR.
exec "$(dirname "$0")/pulse-up.sh" --stop "$@"
