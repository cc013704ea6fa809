"""Configuration read from the environment, with safe development defaults."""

import math
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _development_secret_key(instance_path: Path) -> str:
    """Generate a secret key once and keep it in the instance folder."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


# Seconds unless named otherwise; 0 turns a limit off. Workers must give up on the
# database well before gunicorn's 30 s worker timeout kills them (docs/deployment.md).
DATABASE_LIMITS = {
    "DATABASE_CONNECT_TIMEOUT": 5.0,
    "DATABASE_STATEMENT_TIMEOUT": 10.0,
    "DATABASE_LOCK_TIMEOUT": 5.0,
    "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": 60.0,
    # Readiness (/health/ready) fails when the SQLite database's disk has less free space.
    "SQLITE_MIN_FREE_MB": 10.0,
}


def _limit(env: os._Environ | dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise ConfigError(f"{name} is {raw!r}; use a number of zero or more (0 turns it off).")
    return value


def load_config(instance_path: Path, env: os._Environ | dict | None = None) -> dict:
    """Build the configuration dict from environment variables."""
    env = os.environ if env is None else env
    production = env.get("SKILLS_ENV", "development") == "production"
    instance_path.mkdir(parents=True, exist_ok=True)

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production set SECRET_KEY to a long random value, "
                "for example the output of: "
                'python -c "import secrets; print(secrets.token_hex(32))"'
            )
        secret_key = _development_secret_key(instance_path)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'skills.sqlite'}"
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "CURRICULUM_DIR": Path(env.get("CURRICULUM_DIR", PROJECT_ROOT / "curriculum")),
        "PRODUCTION": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # argon2id parameters; tests lower them to keep the suite fast.
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "NOTE_MAX_LENGTH": 2000,
        **{name: _limit(env, name, default) for name, default in DATABASE_LIMITS.items()},
    }
