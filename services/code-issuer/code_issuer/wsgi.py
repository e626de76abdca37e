"""gunicorn entry point: `gunicorn -c deploy/gunicorn.conf.py code_issuer.wsgi:app`."""

from code_issuer.app import create_app
from code_issuer.config import Config
from shared.logs import configure

config = Config.from_env()
configure("code-issuer", config.log_level)
app = create_app(config)
