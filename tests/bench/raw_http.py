"""Plain HTTP against the dmpilot API, without the collection: the raw costs that the benchmarks compare with.

It imports nothing but requests, so that timing its import times what a hand-written client would import.
"""

import requests

PAGE_SIZE = 1000  # the largest page the API serves
MAX_PAGES = 100  # a bound on the loop: the benchmarks seed at most 10,000 handlers


def bearer(api_key):
    return {"Authorization": "Bearer %s" % api_key}


def fetch_all_pages(session, api_url, api_key):
    """GET and decode every page of handlers, 1,000 to a page, as a hand-written client would; answer the handlers."""
    handlers = []
    for page in range(1, MAX_PAGES + 1):
        response = session.get(api_url + "/notification-handlers", params={"page": page, "results_per_page": PAGE_SIZE},
                               headers=bearer(api_key), timeout=30)
        response.raise_for_status()
        answer = response.json()
        handlers.extend(answer["data"])
        if page >= int(answer["meta"]["total_pages"]):
            return handlers
    raise RuntimeError("the API answered more than %d pages" % MAX_PAGES)


def fetch_one_handler(session, api_url, api_key, handler_id, times):
    """GET and decode one handler by id, `times` times: the cost of that many requests with next to nothing to send."""
    for _request in range(times):
        response = session.get("%s/notification-handlers/%d" % (api_url, handler_id), headers=bearer(api_key), timeout=30)
        response.raise_for_status()
        response.json()


def new_session():
    return requests.Session()
