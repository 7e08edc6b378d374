"""fashionsite.clients.client_address: the client behind 0 or more trusted proxies."""

import logging

import pytest
from django.test import RequestFactory

from fashionsite.clients import ClientAddressFilter, client_address


def request(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_address(request("203.0.113.7", "198.51.100.1")) == "203.0.113.7"


@pytest.mark.parametrize(
    "forwarded, expected",
    [
        ("203.0.113.7", "203.0.113.7"),  # what the proxy saw
        ("6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client's own header, then the proxy's entry
        (" 6.6.6.6,1.1.1.1 , 203.0.113.7 ", "203.0.113.7"),
        ("", "10.0.0.2"),  # a request that did not come through the proxy
    ],
)
def test_behind_one_proxy_its_entry_is_the_client(settings, forwarded, expected):
    settings.TRUSTED_PROXIES = 1
    assert client_address(request("10.0.0.2", forwarded)) == expected


def test_behind_two_proxies_the_entry_the_outer_one_added(settings):
    settings.TRUSTED_PROXIES = 2
    assert client_address(request("10.0.0.3", "6.6.6.6, 203.0.113.7, 10.0.0.2")) == "203.0.113.7"


def test_log_records_name_the_client(settings):
    settings.TRUSTED_PROXIES = 0
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found", None, None)
    record.request = request("203.0.113.7")
    assert ClientAddressFilter().filter(record) and record.client == "203.0.113.7"
    plain = logging.LogRecord("x", logging.INFO, "", 0, "started", None, None)
    assert ClientAddressFilter().filter(plain) and plain.client == "-"


def test_a_proxy_in_front_with_no_trusted_proxies_is_warned_about_once(settings, caplog):
    from fashionsite import clients

    settings.TRUSTED_PROXIES = 0
    clients.warn_once.cache_clear()
    client_address(request("8.8.8.8", "6.6.6.6"))  # from the internet: no proxy of ours
    assert "TRUSTED_PROXIES" not in caplog.text
    for _ in range(3):
        client_address(request("127.0.0.1", "203.0.113.7"))
    assert caplog.text.count("Set TRUSTED_PROXIES") == 1
    clients.warn_once.cache_clear()
