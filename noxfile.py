# Copyright (c) dmpilot.cloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The community's checks of a collection, from antsibull-nox.toml: `nox -l` lists the sessions.

nox and antsibull-nox come from tests/nox/requirements.txt; tools/nox_sessions.py runs the sessions that work offline.
"""

import sys

import nox

try:
    import antsibull_nox
except ImportError:
    print("You need to install antsibull-nox in the same Python environment as nox (pip install -r tests/nox/requirements.txt).")
    sys.exit(1)

antsibull_nox.load_antsibull_nox_toml()

# `python noxfile.py` runs nox too.
if __name__ == "__main__":
    nox.main()
