"""Where a webhook may post: an editor who can schedule must not make the server reach a
cloud metadata server or a service on its own network (server-side request forgery).

The host is resolved once, each address checked, and the connection made to the checked
address (so a name that resolves elsewhere a moment later cannot slip through). Link-local
addresses (``169.254.169.254``, ``fe80::/10``), multicast and unspecified ones are refused
always; loopback, private and shared ones unless the operator allows them
(``BELVEDERE_WEBHOOK_ALLOW_PRIVATE``: a chat server on the internal network).
"""

from __future__ import annotations

import ipaddress
import socket

from belvedere.schedules.delivery.report import DeliveryFailed

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _never(address: Address) -> bool:
    return address.is_link_local or address.is_multicast or address.is_unspecified


def _internal(address: Address) -> bool:
    return (
        address.is_loopback
        or address.is_private
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv4Address) and address in _SHARED)
    )


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT, not "private" in Python


def never_posted_to(host: str) -> bool:
    """Whether ``host`` is an address no webhook is ever posted to (a literal link-local,
    multicast or unspecified one): refused as soon as a schedule names it."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: its addresses are checked when it is posted to
    mapped = getattr(address, "ipv4_mapped", None)
    return _never(mapped if mapped is not None else address)


def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """An address of ``host`` that a webhook may reach (its text, to connect to); raises
    :class:`DeliveryFailed` saying why when none may be."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DeliveryFailed(f"The webhook's host {host} was not found: {exc.strerror}.") from None
    refused = ""
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        mapped = getattr(address, "ipv4_mapped", None)
        plain: Address = mapped if mapped is not None else address
        if _never(plain):
            refused = f"{plain}, a link-local or reserved address, is never posted to"
        elif _internal(plain) and not allow_private:
            refused = (
                f"{plain} is on a private network; an administrator can allow that with "
                "BELVEDERE_WEBHOOK_ALLOW_PRIVATE"
            )
        else:
            return str(address)
    raise DeliveryFailed(f"The webhook's host {host} was refused: {refused}.")
