"""The session engine (SESSION_ENGINE): Django's database sessions, each request's read in one
plain SQL statement (issue 17, load).

Every request reads its session; through the ORM that read cost as much Python as a page's own
query (building and compiling `Session.objects.get(...)`), about 5 % of the portal's CPU under
load. The statement is the ORM's (the session's data, if its key exists and it has not expired),
written once; writing, deleting and the expiry sweep stay Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            self._session_key = None
            return None
        using = router.db_for_read(self.model)
        connection = connections[using]
        table = connection.ops.quote_name(self.model._meta.db_table)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 (table name from the model)
                [key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=key, session_data=row[0])
