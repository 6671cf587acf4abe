# Sourced by ./phronesis and ./run-tests: sets PHRONESIS_JAVA_HOME to a JDK >= 25 or fails with one line.
# Looks at JAVA_HOME, the java on PATH, then the usual install directories.
phronesis_java_major() { # $1 = java binary; prints the feature version number
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}
phronesis_find_java() {
  local min=25 c cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    c="$(readlink -f "$(command -v java)" 2>/dev/null)"; [ -n "$c" ] && cands+=("$(dirname "$(dirname "$c")")")
  fi
  for c in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$c" ] && cands+=("$c")
  done
  for c in "${cands[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      local v; v="$(phronesis_java_major "$c/bin/java")"
      if [ -n "$v" ] && [ "$v" -ge "$min" ] 2>/dev/null; then PHRONESIS_JAVA_HOME="$c"; return 0; fi
    fi
  done
  echo "phronesis: no JDK $min or newer found (looked at JAVA_HOME, PATH and /usr/lib/jvm); install one, e.g. Temurin 25 (apt install temurin-25-jdk, or https://adoptium.net), or set JAVA_HOME" >&2
  return 1
}
