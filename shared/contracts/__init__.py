"""The contracts between the services, each written once: the event envelope and catalog
(`events`), the Celery tasks with their queues and arguments (`tasks`), who consumes what
(`subscriptions`) and the formats of the identifiers they carry (`formats`)."""
