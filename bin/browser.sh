#!/usr/bin/env bash
# Makes sure a headless Chromium is available for the report's browser tests (Debian's `chromium`
# package). Never fails the build: without it, those tests skip with a visible message.
# Set PHRONESIS_NO_BROWSER=1 to skip the install.
set -uo pipefail
if [ "${PHRONESIS_NO_BROWSER:-0}" = 1 ]; then echo "browser: skipped (PHRONESIS_NO_BROWSER=1); browser tests will skip"; exit 0; fi
for c in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -x "$c" ]; then echo "browser: $c"; exit 0; fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser: installing Debian's chromium for the report tests (first run only)..."
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) > /tmp/phronesis-chromium-install.log 2>&1; then
    echo "browser: /usr/bin/chromium"; exit 0
  fi
  echo "browser: SKIPPED — apt-get could not install chromium (see /tmp/phronesis-chromium-install.log); browser tests will skip"
else
  echo "browser: SKIPPED — no chromium found (install Debian's 'chromium' package); browser tests will skip"
fi
exit 0
