"""The training benchmark's child process (see `support.bench.training`). Django is set up on the assist
database before anything imports a model."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "support.conf.bench"

from support.bench.cli import database_prepare

database_prepare()

from support.bench import training  # noqa: E402 - models import only after setup

training.main()
