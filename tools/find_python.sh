#!/bin/sh
# Print the path of the first working interpreter among the Python versions given (X.Y, in order of preference):
# pythonX.Y on PATH, else one that pyenv installed under $(pyenv root)/versions/. pyenv's shims answer "command not
# found" unless PYENV_VERSION is set, so each candidate is run once before it is chosen.
# Usage: tools/find_python.sh 3.12 3.13 3.14   Exit 1, saying what is missing, when none works.
set -u
[ "$#" -gt 0 ] || { echo "usage: $0 X.Y [X.Y ...]" >&2; exit 2; }
pyenv_root=${PYENV_ROOT:-}
if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root=$(pyenv root 2>/dev/null || true)
fi

# Succeeds, printing the path, when $1 is a working Python $2 that can make virtualenvs.
works() {
    if [ -x "$1" ] && "$1" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$2'.split('.'))))" >/dev/null 2>&1; then
        echo "$1"
        return 0
    fi
    return 1
}

for version in "$@"; do
    on_path=$(command -v "python$version" 2>/dev/null || true)
    if [ -n "$on_path" ] && works "$on_path" "$version"; then
        exit 0
    fi
    if [ -n "$pyenv_root" ]; then
        for candidate in "$pyenv_root"/versions/"$version".*/bin/python"$version"; do
            if works "$candidate" "$version"; then
                exit 0
            fi
        done
    fi
done
list=$(echo "$@" | sed 's/\([0-9][0-9.]*\)/python\1/g; s/ / or /g')
echo "No working $list found, on PATH or installed by pyenv: install one (with your package manager, or" \
    "'pyenv install $1')." >&2
exit 1
