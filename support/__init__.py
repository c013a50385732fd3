"""Openbook: the Django project package and the support domain."""

from .celery import app as celery_app

__all__ = ["celery_app"]
