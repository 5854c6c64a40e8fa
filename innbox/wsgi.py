import os

from innbox import config

config.load_or_exit(announce_defaults=False)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innbox.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the env check

application = get_wsgi_application()
