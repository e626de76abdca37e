#!/bin/sh
# The public rabbitmq image's contract: RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS
# create the first user on the first start (an empty data folder).
set -eu
if [ -z "${RABBITMQ_DEFAULT_USER:-}" ] || [ -z "${RABBITMQ_DEFAULT_PASS:-}" ]; then
  echo "RABBITMQ_DEFAULT_USER and RABBITMQ_DEFAULT_PASS must be set" >&2; exit 1
fi
umask 077
cat > "$RABBITMQ_CONFIG_FILE" <<CONF
default_user = $RABBITMQ_DEFAULT_USER
default_pass = $RABBITMQ_DEFAULT_PASS
loopback_users = none
listeners.tcp.default = 5672
log.console = true
log.console.level = warning
log.file = false
CONF
exec /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
