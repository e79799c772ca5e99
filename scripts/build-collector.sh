#!/usr/bin/env bash
# Builds the project's OpenTelemetry Collector (otelcol-litellm) with the OpenTelemetry Collector
# Builder from deploy/collector/builder-config.yaml, at the version in deploy/collector/VERSION.
#
# The binary is cached OUTSIDE the repo:
#   ${LITELLM_OTEL_CACHE:-$HOME/.cache/litellm-otel-metrics}/otelcol-<version>-<hash>/otelcol-litellm
# where <hash> is the sha256 (12 hex) of the rendered manifest, so a changed manifest or version
# builds anew and an unchanged one is found and reused (nothing is rebuilt).
#
# Usage: scripts/build-collector.sh [--print-path] [--help]
#   --print-path  print where the binary is (or would be) and exit; builds nothing
# The last line on stdout is always the binary path; progress and build logs go to stderr.
#
# Needs: go (1.26 here). If a module needs a newer Go, export GOTOOLCHAIN=go1.27.3 before running.
# Takes ~10 minutes on 2 cores the first time (mostly compiling); the Go module and build caches
# (~/go/pkg/mod, ~/.cache/go-build) make later builds faster.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
manifest_template="$repo_root/deploy/collector/builder-config.yaml"
version_file="$repo_root/deploy/collector/VERSION"

print_only=false
for arg in "$@"; do
  case "$arg" in
    --print-path) print_only=true ;;
    -h | --help)
      sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-collector: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

version="$(tr -d '[:space:]' <"$version_file")"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "build-collector: $version_file must hold one version like 0.165.0, got '$version'" >&2
  exit 2
fi

# The rendered manifest is what gets hashed: a change of version or of any component changes it.
rendered="$(sed "s/__OTELCOL_VERSION__/$version/g" "$manifest_template")"
hash="$(printf '%s\n' "$rendered" | sha256sum | cut -c1-12)"
cache_root="${LITELLM_OTEL_CACHE:-$HOME/.cache/litellm-otel-metrics}"
dist_dir="$cache_root/otelcol-$version-$hash"
binary="$dist_dir/otelcol-litellm"

if $print_only; then
  echo "$binary"
  exit 0
fi

if [[ -x "$binary" ]]; then
  echo "build-collector: already built (version $version, manifest $hash); nothing to do" >&2
  echo "$binary"
  exit 0
fi

command -v go >/dev/null || {
  echo "build-collector: 'go' not found on PATH; install Go (>= 1.26) first" >&2
  exit 1
}

mkdir -p "$cache_root"
# One build at a time per cache: a second caller waits, then finds the binary.
exec 9>"$cache_root/.build.lock"
flock 9
if [[ -x "$binary" ]]; then
  echo "build-collector: built by a concurrent run; nothing to do" >&2
  echo "$binary"
  exit 0
fi

# The builder itself, at the same version as the components (its default providers match it).
builder_bin="$cache_root/ocb-v$version/builder"
if [[ ! -x "$builder_bin" ]]; then
  echo "build-collector: installing go.opentelemetry.io/collector/cmd/builder@v$version" >&2
  GOBIN="$cache_root/ocb-v$version" go install "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
fi

work_dir="$(mktemp -d "$cache_root/.build-$version-$hash.XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT
# output_path is added only to the copy the builder reads, so it does not change the hash.
printf '%s\n' "$rendered" | sed "s|^dist:\$|dist:\n  output_path: $work_dir/src|" >"$work_dir/manifest.yaml"

echo "build-collector: building otelcol-litellm $version (manifest $hash) in $work_dir" >&2
start=$(date +%s)
# GOFLAGS -e: the builder runs `go mod tidy`, which also resolves the modules that the components'
# own TESTS import (e.g. contrib pkg/golden). Some of those versions are not served by the module
# proxy here; -e lets tidy go on without them. They are never compiled into the binary, and
# `go build` still fails on any module the binary really needs. (go applies a GOFLAGS entry only to
# the commands that know the flag: tidy does; build and download ignore it.)
GOFLAGS="${GOFLAGS:+$GOFLAGS }-e" "$builder_bin" --config="$work_dir/manifest.yaml" >&2
echo "build-collector: built in $(($(date +%s) - start)) s" >&2

mkdir -p "$dist_dir"
cp "$work_dir/manifest.yaml" "$dist_dir/builder-config.rendered.yaml"
# Copy then rename, so a reader never sees a half-written binary.
cp "$work_dir/src/otelcol-litellm" "$binary.tmp"
chmod +x "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$binary"
