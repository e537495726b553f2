//! The login page.

use maud::{html, Markup};

use super::layout;

/// The login form, returning to `next` afterwards.
pub(crate) fn form(next: &str, error: Option<&str>) -> Markup {
    layout::bare(
        "Log in",
        html! {
            form.login method="post" action="/ui/login" {
                h1 { "tripline console" }
                @if let Some(e) = error { p.err { (e) } }
                input type="hidden" name="next" value=(next);
                label for="name" { "Name" }
                input #name name="name" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
                p { button.primary type="submit" { "Log in" } }
            }
        },
    )
}
