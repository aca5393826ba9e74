from typing import Any

from django.db import models

# ScopedManager builds a manager class at run time; to the type checker it is a plain Manager.
def ScopedManager(_manager_class: type[models.Manager[Any]] = ..., **scopes: str) -> models.Manager[Any]: ...
