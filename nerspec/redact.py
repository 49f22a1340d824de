"""One masker for credentials in anything nerspec prints: URLs' ``user:password@``, secret query parameters and
libpq's ``password=...``.

Secrets come from the environment (``PGPASSWORD``, ``AWS_*``), yet a URL in ``NERSPEC_STATE`` or
``NERSPEC_ARTIFACTS`` may still carry one (``postgresql://u:pw@db/x``, ``...?password=pw``, ``s3://KEY:SECRET@b``),
and a driver's error may repeat it. Every place that shows a URL calls ``redact_url``; the CLI passes every error
message through ``redact`` as a last line of defence, so a message built anywhere cannot leak one.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://user:password@  (the password is everything up to the last `@` of the authority)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^\s/:@?#]*):(?P<secret>[^\s@]*)@")
# ?password=...&  /  key=value conninfo strings: password=..., sslpassword='...'
_SECRET_NAMES = r"(?:password|passwd|pwd|sslpassword|secret|secret_?key|aws_secret_access_key|token|access_token" \
                r"|api_?key|x-amz-signature|x-amz-security-token|signature|sig)"
_PARAMETER = re.compile(rf"(?P<name>(?<![A-Za-z0-9_])\b{_SECRET_NAMES})(?P<eq>\s*=\s*)(?P<value>'[^']*'|\"[^\"]*\"|[^\s&;,)'\"]+)",
                        re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with every credential in it masked (URLs anywhere in it, conninfo parameters)."""
    if "@" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _PARAMETER.sub(lambda m: f"{m['name']}{m['eq']}{MASK}", text)


def redact_url(url: str) -> str:
    """A URL fit to print (``postgresql://u:***@db/x?password=***``)."""
    return redact(url)


def has_credentials(url: str) -> bool:
    """The URL carries a password or secret of its own (``redact`` would change it)."""
    return redact(url) != url
