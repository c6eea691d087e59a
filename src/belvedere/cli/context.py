"""What the commands share beyond services (:mod:`belvedere.environment`): the OS account
behind a command."""

from __future__ import annotations

import os


def os_account() -> str:
    """The operating-system account running a command, for the audit log: the name of the
    process's real user id (environment variables such as ``USER`` are the caller's to set,
    so they are not read), and the terminal's login name when it differs (``sudo``)."""
    uid = os.getuid()
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        name = f"uid={uid}"
    try:
        login = os.getlogin()
    except OSError:
        return name
    return name if login == name else f"{name} (login {login})"
