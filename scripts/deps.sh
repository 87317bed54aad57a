#!/usr/bin/env bash
# scripts/deps.sh: install the Debian packages perch needs to build and test.
# Idempotent: installs only what is missing. Exits non-zero with a clear
# message when something is missing and cannot be installed.
set -u

# Build: compiler, CMake, libraries.  Tests: cmocka, wabt (wast2json/wat2wasm),
# clang + lld + wasi-libc + the wasm32 compiler-rt to build WASI test modules.
pkgs=(
  build-essential cmake pkg-config git ca-certificates
  libjansson-dev libssl-dev libcurl4-openssl-dev libxxhash-dev
  libcmocka-dev
  wabt clang lld wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev
  nodejs npm
  groff-base
  rustc libstd-rust-dev-wasm32
)
if [ "${PERCH_DEPS_MINIMAL:-0}" = 1 ]; then
  pkgs=(build-essential cmake pkg-config libjansson-dev libssl-dev libcurl4-openssl-dev libxxhash-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  # A package counts as present when dpkg reports it installed.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodejs/npm may come from elsewhere than Debian (e.g. a preinstalled node).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in nodejs|npm) ;; *) filtered+=("$p") ;; esac
  done
  missing=("${filtered[@]}")
fi

[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: apt-get not found; install these packages by hand: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "deps.sh: not root and no sudo; install these packages by hand: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/tmp/perch-deps.log 2>&1; then
  $sudo apt-get update >>/tmp/perch-deps.log 2>&1
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >>/tmp/perch-deps.log 2>&1; then
    echo "deps.sh: apt-get could not install: ${missing[*]} (log: /tmp/perch-deps.log)" >&2
    tail -n 20 /tmp/perch-deps.log >&2
    exit 1
  fi
fi
echo "deps.sh: done" >&2
