#!/usr/bin/env bash
# Another point of the supported range, in its own venv (.venv-pyX.Y):
#   bash scripts/compat.sh 3.12 'gradio>=5,<6' [pytest args] [test files]
# runs the given test files there, or without any the engine's integration, browser,
# proxy and fault-injection tests. (The main run, scripts/test.sh, covers Python 3.11
# with the newest Gradio 6.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version="$1"
gradio_spec="$2"
shift 2
source scripts/_python.sh
if ! find_python "$version"; then
    echo "compat: no Python $version found (pyenv or python$version); install one to run this check." >&2
    exit 1
fi
python=("${PYTHON_CMD[@]}")
venv=".venv-py$version"
if [ ! -x "$venv/bin/python" ]; then
    "${python[@]}" -m venv "$venv"
fi
stamp="$venv/.devreload-compat-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[testcore]" "$gradio_spec"
    touch "$stamp"
fi
"$venv/bin/python" -c 'import sys, gradio; print(f"compat: Python {sys.version.split()[0]}, Gradio {gradio.__version__}")'
files=()
for argument in "$@"; do
    [[ "$argument" == tests/* ]] && files+=("$argument")
done
if [ ${#files[@]} -eq 0 ]; then
    set -- "$@" tests/test_gradio_reload.py tests/test_gradio_faithful.py tests/test_browser.py \
        tests/test_tabs_browser.py tests/test_faults.py tests/test_discovery.py tests/test_behind_proxy.py
fi
"$venv/bin/python" -m pytest -p no:cacheprovider -n 2 "$@"
