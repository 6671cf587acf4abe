#!/usr/bin/env bash
# Creates <repo>/.venv with the Python peers (PyTorch, transformers, peft, trl, safetensors, openai, ...)
# that tests use as independent references. Never fails the build: where the packages can't be had,
# it says so, and the tests that need them skip with a visible message.
# Set PHRONESIS_NO_PYTHON=1 to skip; set PHRONESIS_PYTHON=/path/to/python to use your own environment.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQ="$ROOT/bin/python-peers.txt"
VENV="$ROOT/.venv"
MARK="$VENV/.phronesis-peers"
if [ "${PHRONESIS_NO_PYTHON:-0}" = 1 ]; then echo "python peers: skipped (PHRONESIS_NO_PYTHON=1); parity tests will skip"; exit 0; fi
if [ -n "${PHRONESIS_PYTHON:-}" ]; then echo "python peers: using PHRONESIS_PYTHON=$PHRONESIS_PYTHON"; exit 0; fi
WANT="$(sha256sum "$REQ" | cut -c1-16)"
if [ -f "$MARK" ] && [ "$(cat "$MARK")" = "$WANT" ]; then echo "python peers: ready in .venv"; exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then echo "python peers: SKIPPED — no python3 on this machine; parity tests will skip"; exit 0; fi
echo "python peers: installing $(grep -v '^#' "$REQ" | tr '\n' ' ')into .venv (first run only; a few minutes)..."
rm -rf "$VENV"
if ! python3 -m venv "$VENV" >/dev/null 2>&1; then echo "python peers: SKIPPED — python3 -m venv failed (install python3-venv); parity tests will skip"; exit 0; fi
PIP_ARGS=(--disable-pip-version-check -q --retries 0 --timeout 20)
# Machines with a local wheel mirror: use it directly instead of timing out on an unreachable index.
if [ -d /opt/pypi/simple ]; then PIP_ARGS+=(--index-url file:///opt/pypi/simple); fi
if "$VENV/bin/pip" install "${PIP_ARGS[@]}" -r "$REQ" > "$ROOT/.venv-install.log" 2>&1; then
  # lm-evaluation-harness: its full dependency set is not on every mirror; the API-model path the tests use needs only the lines above
  LM_EVAL_WHEEL="$(ls /opt/pypi-more/files/lm_eval-*.whl 2>/dev/null | head -1)"
  if "$VENV/bin/pip" install "${PIP_ARGS[@]}" --no-deps "${LM_EVAL_WHEEL:-lm_eval}" >> "$ROOT/.venv-install.log" 2>&1; then echo "python peers: lm_eval installed (--no-deps)"
  else echo "python peers: lm_eval not installable here; its peer test will skip"; fi
  echo "$WANT" > "$MARK"
  echo "python peers: ready ($("$VENV/bin/python" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)' 2>/dev/null))"
else
  echo "python peers: SKIPPED — pip could not install them (see .venv-install.log); parity tests will skip"
  rm -rf "$VENV"
fi
exit 0
