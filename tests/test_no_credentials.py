"""No credentials in tracked files: passwords, URLs with a password, private keys and tokens
come from the environment (or Airflow connections), never from the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Values that say "put yours here" rather than being one.
PLACEHOLDERS = {"", "change-me", "changeme", "secret", "password", "***", "xxx", "none", "null",
                "example", "your-password", "<password>"}
# A value read from somewhere else: ${VAR}, $VAR, {{ env_var(...) }}, os.environ..., a function.
REFERENCE = re.compile(r"^(\$\{?[A-Za-z_]|\{\{|\{%|os\.environ|env_var|settings\(|conf\.|\(|<|%\()")

ASSIGNMENT = re.compile(
    r"(?P<key>[A-Za-z0-9_.-]*(?:passw(?:or)?d|passwd|secret|api_?key|access_?key|token)"
    r"[A-Za-z0-9_.-]*)[\"']?\s*(?:=|:)\s*(?P<value>\"[^\"]*\"|'[^']*'|[^\s,#)]+)",
    re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(
    r"[a-z][a-z0-9+.-]*://(?:\$\{[^}]*\}|[^/\s:@'\"])+:(?P<password>(?:\$\{[^}]*\}|[^@/\s'\"])+)@",
    re.IGNORECASE)
CODE_SUFFIXES = {".py", ".sql", ".md", ".sh", ".jinja"}
PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")
TOKENS = re.compile(
    r"AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|hooks\.slack\.com/services/T[A-Z0-9]+/|sk-[A-Za-z0-9]{32,}")


def _is_placeholder(value: str) -> bool:
    value = value.strip().strip("\"'")
    return (value.lower() in PLACEHOLDERS or bool(REFERENCE.match(value))
            or value.startswith(("{", "%s", "%(")) or not re.search(r"[A-Za-z0-9]", value)
            # a name that says what it is ("bi_password", "your-password") is not one
            or bool(re.search(r"passw(or)?d", value, re.IGNORECASE)))


def credential_problems(text: str, code: bool = False) -> list[str]:
    """Credential-like things in a file's text; in code only string literals are values (an
    unquoted right-hand side is an expression), in configuration files any value is."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in ASSIGNMENT.finditer(line):
            value = match.group("value")
            key = match.group("key")
            if _is_placeholder(value) or (code and not value.startswith(("'", '"'))):
                continue
            problems.append(f"line {number}: {key} = {value[:4]}…")
        for match in URL_WITH_PASSWORD.finditer(line):
            if not _is_placeholder(match.group("password")):
                problems.append(f"line {number}: a URL with a password")
        if PRIVATE_KEY.search(line):
            problems.append(f"line {number}: a private key")
        if TOKENS.search(line):
            problems.append(f"line {number}: an access token")
    return problems


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [ROOT / name for name in listed if name and (ROOT / name).is_file()]


# Written in two parts, so that this file itself holds none of them.
FOUND = [
    (("POSTGRES_PASS", "WORD=s3cr3t-Pa55"), False),
    (('pass', 'word: "tr0ub4dor&3"'), False),
    (("WAREHOUSE_URL=postgresql://revwh:Xy7pQ2", "@postgres:5432/warehouse"), False),
    (('URL = "postgresql://revwh:Xy7pQ2', '@postgres:5432/warehouse"'), True),
    (("-----BEGIN OPENSSH PRIVATE", " KEY-----"), False),
    (("api_", "key = 'AbC123xYz987'"), True),
    (("webhook: https://hooks.slack.com/services/", "T0ABCDEF/B0ABCDEF/abcdefabcdef"), False),
]


@pytest.mark.parametrize(("parts", "code"), FOUND)
def test_the_scanner_finds_credentials(parts: tuple[str, str], code: bool):
    text = "".join(parts)
    assert credential_problems(text, code), text


@pytest.mark.parametrize(("text", "code"), [
    ("POSTGRES_PASSWORD=change-me", False),
    ("REVWH_BI_PASSWORD=", False),
    ("POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", False),
    ("WAREHOUSE_URL: postgresql://${POSTGRES_USER:-revwh}:${POSTGRES_PASSWORD}@postgres/w", False),
    ("password: \"{{ env_var('REVWH_PG_PASSWORD', '') }}\"", False),
    ('PASSWORD_FILE = "bi_password"', True),
    ("password = settings().bi_password", True),
    ("password = path.read_text().strip()", True),
    ('return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"', True),
    ("bi_password=os.environ.get('REVWH_BI_PASSWORD') or None,", True),
])
def test_the_scanner_lets_placeholders_and_references_pass(text: str, code: bool):
    assert credential_problems(text, code) == [], text


def test_no_tracked_file_holds_credentials():
    files = tracked_files()
    assert len(files) > 50
    found = {}
    for path in files:
        try:
            text = path.read_text()
        except UnicodeDecodeError:  # binary: a key or token would still be ASCII
            text = path.read_bytes().decode("ascii", errors="ignore")
        problems = credential_problems(text, code=path.suffix in CODE_SUFFIXES)
        if problems:
            found[str(path.relative_to(ROOT))] = problems[:5]
    assert not found, f"credentials in tracked files: {found}"


def test_local_secrets_are_ignored_by_git():
    for path in (".local/secrets/bi_password", "secrets/bi_password", ".env"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not git-ignored"
