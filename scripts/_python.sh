# Sourced, not run: find_python X.Y sets PYTHON_CMD to a command that runs Python X.Y
# (a pyenv version, else pythonX.Y on the PATH) and fails when there is none.
find_python() {
    local version="$1" full=""
    PYTHON_CMD=()
    if command -v pyenv >/dev/null; then
        full="$(ls "$(pyenv root)/versions" 2>/dev/null | grep -E "^${version//./\\.}\.[0-9]+$" | sort -V | tail -1 || true)"
        if [ -n "$full" ]; then
            PYTHON_CMD=(env PYENV_VERSION="$full" python3)
            return 0
        fi
    fi
    if command -v "python$version" >/dev/null; then
        PYTHON_CMD=("python$version")
        return 0
    fi
    return 1
}
