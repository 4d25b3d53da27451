"""The shapes of the bridge's names, each written once.

The configuration (``bridge.config.providers``), the services (``bridge.services.orgs``,
``bridge.federation``),
the keyrings (``bridge.storage.crypto``, ``bridge.config.secrets``) and the admin API's schemas all
check these
names with the patterns below. Each pattern is written without anchors: ``SLUG.fullmatch(text)``
in Python, and the constrained types (``Slug``, ``Domain``, ...) anchor it for pydantic and for
the JSON Schema of the OpenAPI document.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

MAX_SLUG = 63
MAX_DOMAIN = 253
MAX_PROVIDER_ALIAS = 63
MAX_KEY_ID = 32

#: An organisation's slug: a DNS label (1-63 of a-z, 0-9 and '-', no '-' at either end).
SLUG_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
#: A domain name in lower case: labels as in a slug, then a top-level label of letters.
#: The whole name is at most ``MAX_DOMAIN`` characters (see ``DOMAIN``).
DOMAIN_LABELS_PATTERN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
#: An identity provider's alias, in the configuration file and the admin API alike; it is part
#: of the login URL (``/federation/<alias>/...``).
PROVIDER_ALIAS_PATTERN = r"[a-z0-9][a-z0-9_-]{0,62}"
#: What a policy's ``sso_idp_alias`` may hold. Looser than ``PROVIDER_ALIAS_PATTERN`` ('.' and
#: up to 100 characters): a policy may already hold such a value while single sign-on is off,
#: and refusing it now would change what the admin API accepts. Turning single sign-on on
#: still needs a provider of that alias, and every provider's alias is a ``PROVIDER_ALIAS``.
SSO_IDP_ALIAS_PATTERN = r"[a-z0-9][a-z0-9._-]{0,99}"
#: The id of an encryption key in a keyring (``kid:base64url-32-bytes``).
KEY_ID_PATTERN = rf"[A-Za-z0-9_-]{{1,{MAX_KEY_ID}}}"

SLUG = re.compile(SLUG_PATTERN)
DOMAIN = re.compile(rf"(?=.{{1,{MAX_DOMAIN}}}$){DOMAIN_LABELS_PATTERN}")
PROVIDER_ALIAS = re.compile(PROVIDER_ALIAS_PATTERN)
SSO_IDP_ALIAS = re.compile(SSO_IDP_ALIAS_PATTERN)
KEY_ID = re.compile(KEY_ID_PATTERN)


def normal_domain(value: object) -> str | None:
    """``value`` as a domain name (trimmed, in lower case), or None when it is not one."""
    if not isinstance(value, str):
        return None
    domain = value.strip().lower()
    return domain if DOMAIN.fullmatch(domain) else None


def _anchored(pattern: str) -> str:
    return f"^{pattern}$"


# The constrained types, for pydantic models and the JSON Schema they produce. The domain's
# length limit is ``max_length`` rather than the look-ahead of ``DOMAIN``: JSON Schema's
# regular expressions (and pydantic's default engine) have no look-around.
Slug = Annotated[str, StringConstraints(pattern=_anchored(SLUG_PATTERN), max_length=MAX_SLUG)]
Domain = Annotated[
    str, StringConstraints(pattern=_anchored(DOMAIN_LABELS_PATTERN), max_length=MAX_DOMAIN)
]
ProviderAlias = Annotated[str, StringConstraints(pattern=_anchored(PROVIDER_ALIAS_PATTERN))]
SsoIdpAlias = Annotated[str, StringConstraints(pattern=_anchored(SSO_IDP_ALIAS_PATTERN))]
KeyId = Annotated[str, StringConstraints(pattern=_anchored(KEY_ID_PATTERN))]


#: The longest e-mail address SMTP carries (RFC 5321 §4.5.3.1.3: a path of 256 octets, less
#: its angle brackets), and the longest local part (§4.5.3.1.1).
MAX_EMAIL = 254
MAX_EMAIL_LOCAL = 64
#: A local part as the bridge accepts it: printable, no spaces, no '@' and none of the
#: characters that need RFC 5322 quoting (a quoted local part is legal, and refused here: no
#: mail provider hands one out, and each face would have to escape it).
EMAIL_LOCAL = re.compile(rf"[^\s@\"(),:;<>\[\\\]\x00-\x1f\x7f]{{1,{MAX_EMAIL_LOCAL}}}")


def normal_email(value: object) -> str | None:
    """``value`` as an e-mail address (trimmed, the domain in lower case, the local part as
    given: only its owner's server may read it case-sensitively), or None when it is not one.
    An internationalised domain is accepted in its ``xn--`` form."""
    if not isinstance(value, str):
        return None
    local, at, domain_part = value.strip().rpartition("@")
    domain = domain_part.lower()
    if not at or not DOMAIN.fullmatch(domain) or not EMAIL_LOCAL.fullmatch(local):
        return None
    address = f"{local}@{domain}"
    return address if len(address) <= MAX_EMAIL else None
