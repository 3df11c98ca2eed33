"""Offline stand-in for get-pip.py, seeded into ansible-test's cache by tools/sanity.py.

ansible-test bootstraps pip in each sanity virtualenv by running a downloaded get-pip.py, which fails on a
network that reaches only the package registries (ansible/ansible#77304). It runs this file as a script with
pip's install arguments (such as ``pip==25.2``) plus ``--no-setuptools`` and ``--no-wheel``. We do the same job as
get-pip.py: run pip from a pip wheel, the one that the interpreter bundles for ensurepip, and let it install what was
asked for from the package index. That is one install, where ``ensurepip`` followed by a pip upgrade is two and an
uninstall, and a cold `make sanity` creates some thirty of these virtualenvs.
"""

import glob
import os
import subprocess
import sys

GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")


def bundled_pip_wheel():
    try:
        import ensurepip  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    wheels = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))
    return wheels[-1] if wheels else None


def main():
    pip_arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    wheel = bundled_pip_wheel()
    if wheel:
        # pip runs from its own wheel, as it does from the copy that get-pip.py embeds.
        subprocess.check_call([sys.executable, os.path.join(wheel, "pip"), "install"] + pip_arguments)
    else:
        subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + pip_arguments)


if __name__ == "__main__":
    main()
