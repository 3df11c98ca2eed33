"""Time, in this fresh process and without Ansible, importing a client and listing every handler with it.

python -m tests.bench.client_cost collection|raw API_URL API_KEY
prints one JSON line: {"import_seconds": ..., "list_seconds": ..., "handlers": N}.
`collection` uses the collection's DmpilotClient, from the installed tarball on PYTHONPATH; `raw` uses requests
as a hand-written script would (tests/bench/raw_http.py). Only the standard library is imported before the clock starts.
"""

import importlib
import json
import sys
import time

COLLECTION_CLIENT = "ansible_collections.dmpilot.cloud.plugins.module_utils._client"


def list_with_collection(api_url, api_key):
    client = importlib.import_module(COLLECTION_CLIENT)
    return lambda: client.DmpilotClient(api_url, api_key).list_handlers()


def list_raw(api_url, api_key):
    raw_http = importlib.import_module("tests.bench.raw_http")
    return lambda: raw_http.fetch_all_pages(raw_http.new_session(), api_url, api_key)


LISTERS = {"collection": list_with_collection, "raw": list_raw}


def main():
    kind, api_url, api_key = sys.argv[1:4]
    started = time.perf_counter()
    list_handlers = LISTERS[kind](api_url, api_key)
    imported = time.perf_counter()
    handlers = list_handlers()
    listed = time.perf_counter()
    print(json.dumps({"import_seconds": imported - started, "list_seconds": listed - imported, "handlers": len(handlers)}))


if __name__ == "__main__":
    main()
