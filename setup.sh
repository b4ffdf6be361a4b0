#!/usr/bin/env bash
# Set up Scene Finder: system tools, a virtual environment, the pinned packages,
# and (where a network allows) the default model weights. Safe to run again.
#   ./setup.sh          the app
#   ./setup.sh --ray    plus Ray, for `ingest --ray`
#   ./setup.sh --dev    plus test and benchmark tools (Chromium for the browser test) and Ray
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
DEV=0; RAY=0
for arg in "$@"; do
  case "$arg" in
    --dev) DEV=1; RAY=1 ;;
    --ray) RAY=1 ;;
    *) echo "usage: ./setup.sh [--dev] [--ray]" >&2; exit 2 ;;
  esac
done

apt_install() {  # only what is missing; needs root or sudo
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  if command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "please install: ${missing[*]} with your package manager (ffmpeg and espeak-ng make the sample clips;" \
         "tesseract's kor and eng data read text on screen)" >&2
  fi
}
# ffmpeg: clips and re-encoding; espeak-ng: the sample clips' speech;
# tesseract's Korean and English data: text on screen (without them that channel is off, with a warning)
apt_install ffmpeg espeak-ng tesseract-ocr-kor tesseract-ocr-eng
# the browser test, and a CJK font for it and for the rendered-text tests and benches
[ $DEV -eq 1 ] && apt_install chromium fonts-noto-cjk
# real recorded speech (Asterisk's prompts, with transcripts) for the dialogue tests and the benches
[ $DEV -eq 1 ] && apt_install asterisk-core-sounds-en-g722 asterisk-core-sounds-en

[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)

if ! .venv/bin/python -c "import torch, torchvision" 2>/dev/null; then
  if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    "${PIP[@]}" torch==2.14.1 torchvision==0.29.1
  elif .venv/bin/python - <<'PY'
import socket, sys
try:
    socket.create_connection(("download.pytorch.org", 443), timeout=3).close()
except OSError:
    sys.exit(1)
PY
  then  # no NVIDIA GPU: the CPU build is ~10x smaller than the CUDA one
    "${PIP[@]}" --index-url https://download.pytorch.org/whl/cpu torch==2.14.1 torchvision==0.29.1 \
      || "${PIP[@]}" torch==2.14.1 torchvision==0.29.1
  else
    "${PIP[@]}" torch==2.14.1 torchvision==0.29.1
  fi
fi
"${PIP[@]}" -r requirements.txt
[ $DEV -eq 1 ] && "${PIP[@]}" -r requirements-dev.txt
[ $RAY -eq 1 ] && "${PIP[@]}" -r requirements-ray.txt
# the `scene-finder` command (the code stays here, editable; `python main.py` works as well)
"${PIP[@]}" --no-deps -e .

# Fetch the default weights where a network allows; say what runs where it does not.
.venv/bin/python main.py models || echo "note: some models are not available yet; see above"
echo "ready: .venv/bin/python main.py demo"
