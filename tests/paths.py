"""Where the collection and its tools are, computed from where Python found them, never from build/.

The tests run from the repository (pytest.ini puts build/collections, a symlink to the repository that `make
source-tree` makes, on sys.path) and from ansible-test's tree (.../ansible_collections/dmpilot/cloud, which ansible-test
puts on sys.path itself). The same code serves both because it asks Python where it found the collection.
"""

import pathlib

import ansible
from ansible_collections.dmpilot.cloud.plugins.module_utils import _handler_types

# The collection's root: galaxy.yml, plugins/, tests/ (this file is tests/paths.py).
COLLECTION_ROOT = pathlib.Path(__file__).resolve().parent.parent


def _collections_path():
    module_utils = pathlib.Path(_handler_types.__file__).parent
    # .../<path>/ansible_collections/dmpilot/cloud/plugins/module_utils: not resolved, so that a symlink stays the path.
    root = module_utils.parents[3]
    if root.name != "ansible_collections" or module_utils.parents[1].name != "cloud":
        raise RuntimeError("dmpilot.cloud was imported from %s, not from an ansible_collections/dmpilot/cloud tree" % module_utils)
    return root.parent


# The directory that holds ansible_collections/dmpilot/cloud, as Python imported the collection: the value of
# ANSIBLE_COLLECTIONS_PATH, and what a subprocess needs on PYTHONPATH to import the collection's code.
COLLECTIONS_PATH = _collections_path()
# The directory that holds the ansible package (ansible-core): installed in the virtualenv, or given by ansible-test.
ANSIBLE_PYTHONPATH = pathlib.Path(ansible.__file__).resolve().parent.parent
