"""The settings module (`DJANGO_SETTINGS_MODULE=support.conf.settings`): base plus every concern module."""

from .base import *  # noqa: F403
from .celery import *  # noqa: F403
from .db import *  # noqa: F403
from .integrations import *  # noqa: F403
from .llm import *  # noqa: F403
from .observability import *  # noqa: F403
from .security import *  # noqa: F403
from .training import *  # noqa: F403
from .web import *  # noqa: F403
