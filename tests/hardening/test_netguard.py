"""The SSRF guard: private, loopback, link-local and odd URLs refused; the allow-list opens them."""

from __future__ import annotations

import pytest
from django.test import override_settings

from flows.netguard import url_allowed, url_refusal


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/x",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.5/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://2130706433/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://user:pw@93.184.216.34/",
        "http:///nohost",
        "http://host.invalid/",
        "",
        "http://[::1",
    ],
)
def test_non_public_or_malformed_urls_are_refused(url: str) -> None:
    assert not url_allowed(url)
    assert url_refusal(url)


def test_a_public_address_is_allowed() -> None:
    assert url_allowed("https://93.184.216.34/hook")


@override_settings(LOUPE_FETCH_ALLOW=["127.0.0.0/8", "localhost"])
def test_the_allow_list_opens_ranges_and_hosts() -> None:
    assert url_allowed("http://127.0.0.1:9000/")
    assert url_allowed("http://localhost:9000/")
    assert not url_allowed("http://10.0.0.1/")
