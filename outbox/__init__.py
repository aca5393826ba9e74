"""The transactional outbox (issue 18): every task the portal queues goes through `outbox.enqueue`.

A ground-floor app: it imports no other app of the project, so every app may import it.
"""
