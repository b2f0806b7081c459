#!/usr/bin/env bash
# need.sh KIND:NAME... -- check that build tools exist; name the first missing one on one line.
# KIND is cmd (a program on PATH), header (a C header the host compiler finds) or py311 (Python 3.11+).
for want in "$@"; do
  kind=${want%%:*} name=${want#*:}
  case $kind in
    cmd) command -v "$name" >/dev/null 2>&1 && continue ;;
    header) echo "#include <$name>" | ${CC:-cc} -E -x c - >/dev/null 2>&1 && continue ;;
    py311) "$name" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && continue ;;
  esac
  echo "tessera: missing tool: $name ($kind); run 'make deps' to install it" >&2
  exit 1
done
