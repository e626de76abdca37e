"""Test support of every suite (development venv only, never in an image): throw-away
databases, bus namespaces and Redis prefixes on the real servers, a tap on the events,
polling with a bounded wait, a cuttable TCP link and the local SMTP sink. The common
pytest fixtures are in `testsupport.plugin`, which every suite loads."""

from testsupport.bus import Tap, running
from testsupport.mail import MailServer, mail_sink
from testsupport.polling import eventually
from testsupport.processes import stop_groups
from testsupport.proxy import TcpProxy
from testsupport.servers import (
    BROKER,
    POSTGRES,
    REDIS,
    delete_namespace,
    delete_redis_keys,
    dsn_for,
    empty_tables,
    free_port,
    fresh_database,
    fresh_namespace,
    fresh_redis_prefix,
    unique,
)

__all__ = ["BROKER", "POSTGRES", "REDIS", "MailServer", "Tap", "TcpProxy", "delete_namespace",
           "delete_redis_keys", "dsn_for", "empty_tables", "eventually", "free_port",
           "fresh_database", "fresh_namespace", "fresh_redis_prefix", "mail_sink", "running",
           "stop_groups", "unique"]
