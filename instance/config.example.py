# Copy to instance/config.py and adjust. Environment variables override these values.
# SECRET_KEY = "..."                      # default: generated into instance/secret_key
# ENCRYPTION_KEYS = "newest,older"        # default: generated into instance/encryption.key
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://user@host/schnittstellen"
# REDIS_URL = "redis://127.0.0.1:6379/0"
# SESSION_COOKIE_SECURE = True            # keep True behind HTTPS
# What the server may run and reach (default: no program, https to public addresses only):
# ALLOWED_PROGRAMS = [{"path": "/opt/labor/bestellen", "label": "Laborsoftware"}]
# OUTBOUND_HTTP_HOSTS = ["intranet-partner.example"]     # plain http allowed to these hosts
# OUTBOUND_ALLOWED_NETWORKS = ["10.20.0.0/16"]           # internal networks that may be reached
