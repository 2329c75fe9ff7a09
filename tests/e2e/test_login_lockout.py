"""The login page after too many failures: a clear page, and the right password refused."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_locked_out_login_says_so_and_refuses_the_right_password(page, books, live_server, settings, screenshot):
    # Given a limit of 3 failed logins
    settings.AXES_FAILURE_LIMIT = 3
    page.goto("/login/")
    # When the owner mistypes their password twice, the form says so
    for _ in range(2):
        page.get_by_label("Username").fill(books.username)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password.")
    # And the third failure locks the login, with the reason and the wait
    page.get_by_label("Username").fill(books.username)
    page.get_by_label("Password").fill("still not it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many login attempts")
    expect(page.get_by_role("alert")).to_have_text("Too many failed login attempts. Try again in 15 minutes.")
    screenshot(page, "login-locked-out")
    # Then even the right password is refused meanwhile
    page.get_by_role("link", name="Back to the login page").click()
    page.get_by_label("Username").fill(books.username)
    page.get_by_label("Password").fill(books.password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many login attempts")
    expect(page).to_have_url(f"{live_server.url}/login/")
