"""``forward_auth``: the endpoint reverse proxies ask before passing a request on (issue 12)."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator

from bridge.config.fields import Bool, Section, Text

_HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")
_HOST = re.compile(r"[a-z0-9.-]{1,253}(:[0-9]{1,5})?|\[[0-9a-f:.]+\](:[0-9]{1,5})?")


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError("must be a header name of letters, digits and '-'")
    return value


def _host(value: str) -> str:
    if not _HOST.fullmatch(value.lower()):
        raise ValueError("must be a host name, with an optional :port")
    return value.lower()


def _network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError("must be an IP address or network (CIDR)") from None
    return value


HeaderName = Annotated[Text, AfterValidator(_header_name)]
Host = Annotated[Text, AfterValidator(_host)]
Network = Annotated[Text, AfterValidator(_network)]


class ForwardAuthHeaders(Section):
    """The names of the headers a passed request is answered with (empty: not sent)."""

    user: HeaderName = "X-Bridge-User"
    email: HeaderName = "X-Bridge-Email"
    organisations: HeaderName = "X-Bridge-Organisations"
    roles: HeaderName = "X-Bridge-Roles"
    method: HeaderName = "X-Bridge-Auth-Method"


class ForwardAuthSettings(Section):
    headers: ForwardAuthHeaders = ForwardAuthHeaders()
    #: The realm of ``WWW-Authenticate: Basic``.
    realm: Text = "bridge"
    #: Hosts (``app.example.com``, ``app.example.com:8443``) a browser may be sent back to after
    #: signing in; any other original URL is not used as a redirect target.
    return_hosts: tuple[Host, ...] = ()
    #: Proxies whose ``X-Forwarded-For`` names the client (for the per-IP throttle and the
    #: audit); requests from anywhere else count under their own address.
    trusted_proxies: tuple[Network, ...] = ()
    #: Accept an account's own password over Basic, for accounts that need no second factor and
    #: are no service accounts. Off: only app passwords (and sessions, bearer tokens) pass.
    accept_account_passwords: Bool = False
