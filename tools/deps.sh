#!/usr/bin/env bash
# Install Tessera's build and test dependencies from Debian's archive.
# Idempotent: does nothing when every package is present. Never downloads anything else.
set -u
PKGS=(make gcc g++ python3 pkg-config verilator libsystemc-dev gcc-riscv64-unknown-elf
      picolibc-riscv64-unknown-elf libcmocka-dev yosys zlib1g-dev)

missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "deps: missing packages: ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: apt-get not found; install these packages with your system's package manager: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: not root; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "deps: apt-get update failed" >&2; exit 1; }
apt-get install -y -qq --no-install-recommends "${missing[@]}" || { echo "deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }
echo "deps: installed ${missing[*]}"
