"""Offline stand-in for get-pip.py, seeded into ansible-test's cache by ``make``.

ansible-test bootstraps pip in each sanity virtualenv by running a downloaded get-pip.py, which fails on a
network that reaches only the package registries (ansible/ansible#77304). It runs this file as a script with
pip's install arguments plus ``--no-setuptools`` and ``--no-wheel``. We give pip the same job: bootstrap it
from the interpreter's bundled wheel, then install what was asked for from the package index.
"""

import subprocess
import sys

GET_PIP_ONLY_FLAGS = ("--no-setuptools", "--no-wheel")


def main():
    pip_arguments = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY_FLAGS]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + pip_arguments)


if __name__ == "__main__":
    main()
