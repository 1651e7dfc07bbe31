#!/usr/bin/env bash
# Installs everything Caveman's build and tests need on a Debian machine.
# Idempotent and quick when nothing is missing. Reaches only Debian's
# package archive and crates.io.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: lld links WebAssembly; chromium and its driver run the
# browser tests; postgresql is the second database engine under test;
# aiosmtpd is the real SMTP server the mail tests deliver to; sshd (with
# ssh-keygen) is the real SSH server Docker hosts are reached through;
# docker-registry (distribution) is the real registry the registry client is
# tested against, and apache2-utils has the htpasswd that writes its bcrypt
# password file; git serves the test repositories (http-backend, and
# upload-pack over sshd).
packages=(lld-19 chromium chromium-driver postgresql python3-aiosmtpd openssh-server openssh-client
    docker-registry apache2-utils git)
if [ "$CAVEMAN_TOOLCHAIN" = debian ]; then
    packages+=(rustc-web cargo-web rust-web-src rust-web-clippy rustfmt-web)
fi
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    caveman_step "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Debian toolchain may have just been installed: pick it up.
source "$CAVEMAN_ROOT/.dev/env.sh"

# wasm-bindgen's command-line tool must match the library version in
# Cargo.lock exactly, or the generated JavaScript does not fit the module.
wanted="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$CAVEMAN_ROOT/Cargo.lock")"
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [ "$have" != "$wanted" ]; then
    caveman_step "installing wasm-bindgen-cli $wanted (found: ${have:-none})"
    # A plain release profile: the tool's own LTO settings triple the time
    # on a small machine for no benefit here.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install wasm-bindgen-cli --version "=$wanted"
fi
