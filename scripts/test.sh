#!/usr/bin/env bash
# Set up and run every check: lint, types, the test suite (browser tests included)
# and a quick benchmark smoke run. Extra arguments go to pytest.
# The compatibility runs at the end need Python 3.12 and 3.13: say so now, not after the suite.
source "$(dirname "${BASH_SOURCE[0]}")/_python.sh"
for version in 3.12 3.13; do
    if ! find_python "$version"; then
        echo "scripts/test.sh: the compatibility runs need Python $version, which is not installed;" \
            "install it (pyenv install $version, or apt-get install python$version) and run again." >&2
        exit 1
    fi
done
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh" test
# Debian packages the tests drive: Chromium (browser tests), nginx (behind-a-proxy tests),
# Node.js (the page scripts' pure parts, tests/js).
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/bin/node ] || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing ${missing[*]} (Debian packages) for the browser, proxy and page-script tests..."
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "== ruff"; .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== import-linter"; .venv/bin/lint-imports
# Two workers: most tests wait on a real server or browser, so the two cores overlap them.
echo "== pytest"; .venv/bin/python -m pytest -n 2 "$@"
# Gradio 5's frontend and API under Python 3.12: what the page and the served app do.
echo "== compat: Python 3.12 + Gradio 5"
bash scripts/compat.sh 3.12 "gradio>=5,<6" -q tests/test_gradio_reload.py \
    tests/test_gradio_faithful.py tests/test_browser.py tests/test_tabs_browser.py \
    tests/test_behind_proxy.py tests/test_discovery.py tests/test_literals.py \
    tests/test_gradio_literals.py
# Python 3.13 under the same Gradio as the main run: the engine (patching, the import
# hook, executing, faults), where a Python version differs.
echo "== compat: Python 3.13 + Gradio 6"
bash scripts/compat.sh 3.13 "gradio>=6,<7" -q tests/test_gradio_reload.py \
    tests/test_discovery.py tests/test_faults.py tests/test_patch_devreload.py tests/test_first_load.py \
    tests/test_literals.py tests/test_gradio_literals.py
