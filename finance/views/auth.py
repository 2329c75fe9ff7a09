"""Sign in and out with Django's auth views and our templates."""

from __future__ import annotations

from django.contrib.auth import views as auth_views


class LoginView(auth_views.LoginView):
    """The sign-in page; a signed-in user is sent on to the overview (or ``next``)."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, CSRF-protected) and return to the sign-in page."""

    next_page = "finance:login"
