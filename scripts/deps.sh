#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh machine: the Debian packages listed in
# scripts/deps.d/*.apt and the PyPI packages in scripts/deps.d/*.pip (one name per line).
set -euo pipefail
cd "$(dirname "$0")/.."

# Package names from every list with the given suffix, comments stripped.
listed() {
    local file
    for file in scripts/deps.d/*."$1"; do
        if [ -e "$file" ]; then sed "s/#.*//" "$file"; fi
    done | xargs -r
}

apt_packages=$(listed apt)
missing=()
for package in $apt_packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
    echo "deps: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

pip_packages=$(listed pip)
if [ -n "$pip_packages" ]; then
    python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore $pip_packages
fi
