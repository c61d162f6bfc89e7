"""The studio: jobs, studio modules, the recipe language and the imaging core.

Nothing is started on import: ``studio.imaging`` and the recipe language load no Django and
no Celery (enforced by the import-linter contracts in pyproject.toml). The Celery app
(studio.celery) is loaded by StudioConfig.ready() in Django processes and found by
``celery -A studio`` in workers.
"""
