"""gunicorn entry point: `gunicorn -c deploy/gunicorn.conf.py portal.wsgi:app`."""

from portal.app import create_app
from portal.config import Config
from shared.logs import configure

config = Config.from_env()
configure("portal", config.log_level)
app = create_app(config)
