"""Settings for the gunicorn that bench/ingest_http.py measures: production's, plus one URL (the
framework ceiling, bench/http_urls.py) that the app does not have."""

from innbox.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
