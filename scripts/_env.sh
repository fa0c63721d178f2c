# Shared by scripts/demo.sh and scripts/test.sh: make .venv and install the project into it.
# Sourced, not run. $1 is the pip extra to install ("demo" or "test").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -m venv .venv; then
        rm -rf .venv
        echo "Could not make .venv with $PYTHON; on Debian/Ubuntu install python3-venv" \
            "(sudo apt-get install python3-venv) and run again." >&2
        exit 1
    fi
fi
# Re-install only when pyproject.toml changed since the last install, so a
# second run starts at once.
stamp=".venv/.devreload-$1-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$1]"
    touch "$stamp"
fi
