# Copy to instance/config.py and adjust. Environment variables override these values.
# SECRET_KEY = "..."                      # default: generated into instance/secret_key
# ENCRYPTION_KEYS = "newest,older"        # default: generated into instance/encryption.key
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://user@host/schnittstellen"
# REDIS_URL = "redis://127.0.0.1:6379/0"
# SESSION_COOKIE_SECURE = True            # keep True behind HTTPS
