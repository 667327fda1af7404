//! The theme switch's server function: keeps the visitor's choice in a cookie the server reads
//! when it renders a page (`components/theme.rs`).

use leptos::prelude::*;

use crate::model::AppError;

/// Keeps `theme` (`system`, `light` or `dark`) for a year; answers it. A plain form (no
/// JavaScript) goes back to `back`, a path on this site.
#[server(prefix = "/api", endpoint = "set_theme")]
pub async fn set_theme(theme: String, back: String) -> Result<String, AppError> {
    use crate::components::theme::{THEME_COOKIE, Theme};
    use crate::server::service::ServiceError;
    /// How long the choice is kept, in seconds.
    const ONE_YEAR: i64 = 365 * 24 * 3600;
    let call = super::Call::start()?;
    let theme = Theme::parse(&theme).ok_or_else(|| {
        call.fail(ServiceError::invalid_field(
            "theme",
            "choose system, light or dark",
        ))
    })?;
    let (value, max_age) = match theme.attribute() {
        Some(value) => (value, ONE_YEAR),
        None => ("", 0),
    };
    call.set_cookie(&super::set_cookie_value(
        call.services.public_url(),
        THEME_COOKIE,
        value,
        max_age,
        super::SameSite::Lax,
    ));
    if call.plain_form {
        call.redirect(local_path(&back));
    }
    Ok(theme.key().to_owned())
}

/// `back` if it is a path on this site, else the home page: a form must not send the browser
/// elsewhere (`//evil.example` is another site, as is `/\evil.example` to some browsers).
#[cfg(feature = "ssr")]
fn local_path(back: &str) -> &str {
    let local = back.starts_with('/')
        && !back.starts_with("//")
        && !back.contains('\\')
        && !back.chars().any(char::is_control);
    if local { back } else { "/" }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::local_path;

    #[test]
    fn only_a_path_on_this_site_is_a_way_back() {
        assert_eq!(local_path("/acme/portal?code=AB"), "/acme/portal?code=AB");
        for elsewhere in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "/a\r\nSet-Cookie: x=1",
        ] {
            assert_eq!(local_path(elsewhere), "/", "{elsewhere:?}");
        }
    }
}
