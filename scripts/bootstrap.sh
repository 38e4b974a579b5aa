#!/usr/bin/env bash
# Set up a development/run environment on a fresh Debian/Ubuntu machine with Python 3.11+:
# the system libraries Qt needs (and, with --test, Xvfb and poppler for the test suite),
# then a virtual environment in .venv with the locked dependencies (requirements/*.lock)
# and pestdesk installed. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=requirements/app.lock ; test_mode=0
if [[ "${1:-}" == "--test" ]]; then lock=requirements/test.lock; test_mode=1; fi

qt_libs=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0
         libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
         libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core)
test_tools=(xvfb xdotool imagemagick poppler-utils)
want=("${qt_libs[@]}")
python=${PYTHON:-python3}
"$python" -c "import ensurepip" 2>/dev/null || want+=(python3-venv)
if (( test_mode )); then want+=("${test_tools[@]}"); fi
missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if (( ${#missing[@]} )); then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then "$python" -m venv .venv; fi
# Exactly the tested versions, checked against their hashes (the lock file, refreshed with
# ./scripts/lock), then pestdesk itself on top without resolving anything again.
.venv/bin/python -m pip install -q --require-hashes --only-binary :all: -r "$lock"
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
