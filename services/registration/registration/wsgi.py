"""gunicorn entry point: `gunicorn -c deploy/gunicorn.conf.py registration.wsgi:app`."""

from registration.app import create_app
from registration.config import Config
from shared.logs import configure

config = Config.from_env()
configure("registration", config.log_level)
app = create_app(config)
