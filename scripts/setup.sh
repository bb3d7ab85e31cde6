#!/usr/bin/env bash
# Installs tunprobe's dependencies from Debian bookworm and builds a release
# build in ./build. Idempotent: packages already present are not fetched
# again, and an existing build directory is reused.
#
#   scripts/setup.sh     as root, or as a user who may sudo: only the
#                        package installation runs under sudo, the build
#                        stays the user's
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
  dpdk dpdk-dev libdpdk-dev libfixbuf-dev libfixbuf-tools libboost-program-options-dev libfmt-dev
  nlohmann-json3-dev catch2 libpcap-dev tshark nfdump python3 python3-scapy tcpreplay iproute2 python3-matplotlib
  verilator iverilog yosys nextpnr-ice40 fpga-icestorm
  systemd chromium python3-websocket help2man groff-base
  debhelper dpkg-dev fakeroot lintian libmicrohttpd-dev prometheus
  libcurl4-openssl-dev clickhouse-server clickhouse-client
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "setup.sh: missing packages (${missing[*]}); run it as root (there is no sudo here)" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  echo "setup.sh: installing ${missing[*]}"
  # tshark asks whether non-root users may capture: answer no, quietly.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get update -q
  # With recommends: the `dpdk` package recommends the NIC drivers (ixgbe, i40e, mlx5 ...).
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release
fi
ninja -C build
echo "setup.sh: built build/tunprobe ($(build/tunprobe --version))"
