"""Sign-in through a real OpenID provider (a local one, oidc-provider-mock, on this machine):
a known user whose email is verified gets in; an unverified email and an unknown one do not (U-2).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import StreamlitServer, free_port, make_demo_db

LUCAS = "Lucas.Fischer@northwind.example"  # a demo CSM


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    people = [
        User(sub="lucas", claims={"email": LUCAS, "email_verified": True, "name": "Lucas Fischer"}),
        User(sub="unverified", claims={"email": LUCAS, "email_verified": False}),
        User(sub="no-claim", claims={"email": LUCAS}),
        User(
            sub="stranger", claims={"email": "stranger@elsewhere.example", "email_verified": True}
        ),
    ]
    with run_server_in_thread(user_claims=people) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def signed_in_app(tmp_path_factory, provider):
    tmp_path = tmp_path_factory.mktemp("sign_in")
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "a-long-random-test-secret"\n'
        'client_id = "cs-workspace"\n'
        'client_secret = "test-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
    )
    server = StreamlitServer(make_demo_db(tmp_path), tmp_path / "streamlit.log", port=port,
                             args=("--secrets.files", str(secrets)))  # fmt: skip
    server.url = f"http://localhost:{port}"
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sign_in_as(page: Page, app: StreamlitServer, subject: str) -> None:
    page.context.clear_cookies()
    page.goto(app.url)
    page.get_by_role("button", name="Sign in").click()
    page.locator("input[name=sub]").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app.url}/**")


@pytest.mark.parametrize(
    ("subject", "heading"),
    [
        ("lucas", "Lucas"),
        ("unverified", "Your email address is not verified"),
        ("no-claim", "Your email address is not verified"),
        ("stranger", "No access to the Customer Success workspace"),
    ],
)
def test_only_a_verified_known_email_signs_in(signed_in_app, page: Page, subject, heading):
    sign_in_as(page, signed_in_app, subject)
    title = page.get_by_test_id("stHeadingWithActionElements").locator("h1").first
    expect(title).to_contain_text(heading)
    if subject == "lucas":
        expect(page.get_by_test_id("stMetric").first).to_be_visible()
    else:
        expect(page.get_by_test_id("stMetric")).to_have_count(0)
        expect(page.get_by_role("link", name="Customers")).to_have_count(0)
