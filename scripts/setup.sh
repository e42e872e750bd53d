#!/usr/bin/env bash
# Creates ./.venv (Python >= 3.10) and installs tf_transforms with its test
# extras. Idempotent: a second run only checks. Sourced by main.sh / test.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${TF_TRANSFORMS_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

# Debian packages the project needs: the speech synthesizers and voices behind
# the tts_words dataset (the soundfile wheel bundles libsndfile), and SPTK, the
# independent reference the MCD tests check against, and a second General MIDI
# SoundFont (csound's, 4 MB) for the notes the model never heard
# (scripts/foreign_sources.py), and Chromium and Node.js for the web demo and its
# headless-browser test (web/). Installed only when missing.
APT_PACKAGES=(espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts sptk
              csound-soundfont chromium)
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.tf_transforms-installed"
if [ ! -f "$stamp" ] || [ "$ROOT/setup.py" -nt "$stamp" ] || [ "$ROOT/scripts/setup.sh" -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e "$ROOT[test]"
  # The note renderer (tf_transforms/soundfont.py): tinysoundfont declares
  # pyaudio (live playback only, no wheel) and pretty_midi is only needed for
  # the SoundFont file it ships, hence --no-deps.
  "$VENV/bin/python" -m pip install -q --no-deps "tinysoundfont>=0.3.7,<0.4" \
      "pretty_midi>=0.2.10,<0.3"
  touch "$stamp"
fi
# LiteRT.js (pinned in web/package-lock.json; copied into each web demo) and
# puppeteer-core, which drives Debian's Chromium in the web demo's test.
if [ ! -f "$ROOT/web/node_modules/.package-lock.json" ] || \
   [ "$ROOT/web/package-lock.json" -nt "$ROOT/web/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$ROOT/web" --no-audit --no-fund --loglevel=error
fi
export PATH="$VENV/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
