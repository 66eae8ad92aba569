#!/usr/bin/env bash
# Installs everything pgs3 needs to build and test, from Debian's packages and (for test tooling only) the npm
# registry, pinned by tests/tools/package-lock.json. Idempotent; run as root (or with sudo) on Debian 12.
#
#   scripts/install-deps.sh              everything: build, unit and integration tests, benchmarks
#   scripts/install-deps.sh --build-only only what building the pgs3 binary needs (cmake -DPGS3_BUILD_TESTS=OFF);
#                                        used by deploy/Dockerfile
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
case "${1:-}" in
  --build-only) build_only=1 ;;
  "") ;;
  *) echo "install-deps: unknown argument $1 (use --build-only or nothing)" >&2; exit 2 ;;
esac

packages=(
  build-essential g++ cmake ninja-build pkg-config ca-certificates
  libpq-dev
  thrift-compiler libthrift-dev libboost-dev
  libsnappy-dev libzstd-dev zlib1g-dev
  nlohmann-json3-dev
  libcurl4-openssl-dev libssl-dev libpugixml-dev libmicrohttpd-dev
  tzdata
)
if [ "$build_only" = 0 ]; then
  packages+=(
    git openssl
    postgresql-15 postgresql-client-15
    awscli python3-botocore
    libgtest-dev libgmock-dev libbenchmark-dev
    clang-format clang-tidy
    time procps bc
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "$build_only" = 1 ] || command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Debian's postgresql package creates and starts a default cluster; pgs3's tests start their own throwaway clusters
# and do not use it.

if [ "$build_only" = 0 ] && [ -f "$here/tests/tools/package.json" ]; then
  ( cd "$here/tests/tools" && { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1 || npm ci --no-audit --no-fund --loglevel=error; } )
fi
echo "install-deps: all dependencies present"
