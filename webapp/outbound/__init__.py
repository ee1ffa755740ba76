"""The outbound engine: durable, exactly-once-or-asked work towards partners, for every kind
(orders, connection tests, registrations, logins, …). models.py holds the rows, handlers.py
what a kind registers, engine.py the claim, the attempts, backoff and the reconciler."""
