#!/usr/bin/env bash
# Installs the SMTP server the tests start (aiosmtpd, from PyPI) into a cached virtual
# environment. Idempotent and safe to run from several test processes at once.
# Usage: tests/smtp/install.sh [VENV_DIR]   (default: $GCC_SMTP_VENV or ~/.cache/gcc/smtp-venv)
set -euo pipefail
venv="${1:-${GCC_SMTP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/gcc/smtp-venv}}"
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
    exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
"$venv/bin/python" -c 'import aiosmtpd'
echo "aiosmtpd installed in $venv"
