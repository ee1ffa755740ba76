"""Login and logout."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..extensions import login_manager
from . import bp, services
from .forms import LoginForm

login_manager.user_loader(services.load_user)
login_manager.login_view = "auth.login_get"


@bp.get("/login")
def login_get():
    """The login page (also shows the language switch)."""
    if current_user.is_authenticated:
        return redirect(services.safe_next(request.args.get("next")) or url_for("main.index"))
    form = LoginForm(next=request.args.get("next", ""))
    return render_template("auth/login.html", form=form)


@bp.post("/login")
def login_post():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        except services.LoginRefused as refused:
            current_app.logger.info("Login refused for %r from %s", form.username.data[:64],
                                    request.remote_addr)
            form.form_errors.append(str(refused))
        else:
            login_user(user)
            return redirect(services.safe_next(form.next.data) or url_for("main.index"), 303)
    return render_template("auth/login.html", form=form), 422


@bp.post("/logout")
def logout_post():
    logout_user()
    flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login_get"), 303)
