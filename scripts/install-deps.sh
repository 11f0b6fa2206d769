#!/usr/bin/env bash
# Installs the system tools the tests and the demo use, when run as root and
# when they are missing: iptables (nft and legacy), iproute2 (ip netns),
# util-linux (nsenter), kubectl (Debian's kubernetes-client if none is on PATH), and a C compiler with the
# kernel's headers for KubeSim's sandbox helper (src/KubeSim/Sandbox/kubesim-sandbox.c).
set -euo pipefail

missing=()
command -v iptables-restore >/dev/null || missing+=(iptables)
command -v iptables-legacy-restore >/dev/null || missing+=(iptables)
command -v ip >/dev/null || missing+=(iproute2)
command -v nsenter >/dev/null || missing+=(util-linux)
command -v kubectl >/dev/null || missing+=(kubernetes-client)
command -v cc >/dev/null || missing+=(gcc)
[ -e /usr/include/linux/sched.h ] && [ -e /usr/include/stdio.h ] || missing+=(libc6-dev)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${missing[*]}; run as root (or install them) — the tests need them" >&2
  exit 1
fi

readarray -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-deps: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null
fi
