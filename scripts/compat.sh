#!/usr/bin/env bash
# The other end of the supported range: Python 3.12 with the newest Gradio 5,
# running the engine's integration, browser and fault-injection tests.
# (The main run, scripts/test.sh, covers Python 3.11 with the newest Gradio 6.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if PYENV_VERSION=3.12.1 python3 -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    py312=(env PYENV_VERSION=3.12.1 python3)
elif command -v python3.12 >/dev/null; then
    py312=(python3.12)
else
    echo "compat: no Python 3.12 found (pyenv 3.12.1 or python3.12); install one to run this check." >&2
    exit 1
fi
venv=.venv-compat
if [ ! -x "$venv/bin/python" ]; then
    "${py312[@]}" -m venv "$venv"
fi
stamp="$venv/.devreload-compat-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]" "gradio>=5,<6"
    touch "$stamp"
fi
"$venv/bin/python" -c 'import sys, gradio; print(f"compat: Python {sys.version.split()[0]}, Gradio {gradio.__version__}")'
"$venv/bin/python" -m pytest -p no:cacheprovider \
    tests/test_gradio_reload.py tests/test_browser.py tests/test_faults.py tests/test_discovery.py "$@"
