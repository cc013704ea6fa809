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
    # Created owner-only: never readable by others, not even for a moment.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


ENVIRONMENTS = ("development", "production")
# Signed cookies are only as strong as this key: 32 bytes is what token_hex(16) or
# token_urlsafe(24) give, and the key is refused below that or when made of a few
# repeated characters ("xxxx...").
MIN_SECRET_KEY_BYTES = 32
MIN_SECRET_KEY_DISTINCT = 8
KEY_HINT = 'for example the output of: python -c "import secrets; print(secrets.token_hex(32))"'


def _environment(env: os._Environ | dict) -> str:
    """SKILLS_ENV, refused unless it is exactly one of ENVIRONMENTS: a near miss such as
    "Production" must not quietly run in development mode."""
    raw = env.get("SKILLS_ENV")
    if raw is None:
        return "development"
    if raw not in ENVIRONMENTS:
        raise ConfigError(
            f"SKILLS_ENV is {raw!r}; use one of: {', '.join(ENVIRONMENTS)} "
            "(lowercase, exactly as written)."
        )
    return raw


def _production_secret_key(secret_key: str | None) -> str:
    if not secret_key:
        raise ConfigError(
            "SECRET_KEY is not set. In production set SECRET_KEY to a long random value, "
            + KEY_HINT
        )
    size = len(secret_key.encode())
    if size < MIN_SECRET_KEY_BYTES or len(set(secret_key)) < MIN_SECRET_KEY_DISTINCT:
        raise ConfigError(
            f"SECRET_KEY is too weak ({size} bytes). In production it must be a random "
            f"value of at least {MIN_SECRET_KEY_BYTES} bytes, " + KEY_HINT
        )
    return secret_key


def _private_folder(path: Path) -> None:
    """The instance folder holds the SQLite database and the development key: owner only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    # A folder made before this rule, or by a wider umask; someone else's is left alone.
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        path.chmod(0o700)


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


def _trusted_proxies(env: os._Environ | dict) -> int:
    """How many reverse proxies in front of the app append to X-Forwarded-For; 0 (the
    default) believes no such header, since any client can send one."""
    raw = str(env.get("TRUSTED_PROXIES", "")).strip() or "0"
    if not raw.isdigit() or int(raw) > 10:
        raise ConfigError(
            f"TRUSTED_PROXIES is {raw!r}; use the number of reverse proxies in front of "
            "the app (0 to 10; 1 for one nginx), or 0 when clients connect directly."
        )
    return int(raw)


def load_config(instance_path: Path, env: os._Environ | dict | None = None) -> dict:
    """Build the configuration dict from environment variables."""
    env = os.environ if env is None else env
    production = _environment(env) == "production"
    _private_folder(instance_path)

    secret_key = env.get("SECRET_KEY")
    if production:
        secret_key = _production_secret_key(secret_key)
    elif not secret_key:
        secret_key = _development_secret_key(instance_path)

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'skills.sqlite'}"
    return {
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _normalise_database_url(database_url),
        "CURRICULUM_DIR": Path(env.get("CURRICULUM_DIR", PROJECT_ROOT / "curriculum")),
        "PRODUCTION": production,
        "TRUSTED_PROXIES": _trusted_proxies(env),
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
