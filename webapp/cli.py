"""`flask` commands: demo data, admin bootstrap, worker."""


def init_app(app):
    pass
