//! The colour theme: the system's (`prefers-color-scheme`), or light or dark as the visitor chose
//! with the theme switch. The choice is a cookie the server reads when it renders the document
//! (`data-theme` on `<html>`), so the first paint already has it; the stylesheet's custom
//! properties do the rest. Without JavaScript the switch's forms post and come back to the page.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

use crate::api::theme::SetTheme;

/// The cookie that keeps the choice.
pub const THEME_COOKIE: &str = "seatkeeper_theme";

/// A visitor's theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the system's setting.
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Self; 3] = [Self::System, Self::Light, Self::Dark];

    /// The theme a cookie or a form names; none for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|theme| theme.key() == raw)
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    /// The `data-theme` attribute of the document: none follows the system.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            Self::System => None,
            Self::Light | Self::Dark => Some(self.key()),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::System => "System",
            Self::Light => "Light",
            Self::Dark => "Dark",
        }
    }

    /// The theme the page is rendered in: on the server, the request's cookie; in the browser,
    /// what the server put on the document.
    pub fn current() -> Self {
        #[cfg(feature = "ssr")]
        let found = use_context::<axum::http::request::Parts>()
            .and_then(|parts| crate::api::cookie_in(&parts.headers, THEME_COOKIE));
        #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
        let found = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.document_element())
            .and_then(|root| root.get_attribute("data-theme"));
        #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
        let found: Option<String> = None;
        found
            .and_then(|value| Self::parse(&value))
            .unwrap_or_default()
    }
}

/// Applies `theme` to the page at once (the cookie is for the next render).
#[cfg(feature = "hydrate")]
fn apply(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    else {
        return;
    };
    let _ = match theme.attribute() {
        Some(value) => root.set_attribute("data-theme", value),
        None => root.remove_attribute("data-theme"),
    };
}

/// "Theme: System · Light · Dark", each a button that says whether it is the current choice.
#[component]
pub fn ThemeSwitch(initial: Theme) -> impl IntoView {
    let set = ServerAction::<SetTheme>::new();
    let current = RwSignal::new(initial);
    Effect::new(move |_| {
        if let Some(Ok(chosen)) = set.value().get()
            && let Some(theme) = Theme::parse(&chosen)
        {
            current.set(theme);
            #[cfg(feature = "hydrate")]
            apply(theme);
        }
    });
    let location = use_location();
    // The router's `search` has no leading `?`.
    let back = move || {
        let search = location.search.get();
        let search = search.trim_start_matches('?');
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    view! {
        <nav class="theme-switch" aria-label="Colour theme">
            <span id="theme-switch-label">"Theme:"</span>
            {Theme::ALL
                .into_iter()
                .map(|theme| {
                    view! {
                        <ActionForm action=set>
                            <input type="hidden" name="theme" value=theme.key() />
                            <input type="hidden" name="back" value=back />
                            <button
                                type="submit"
                                class="link"
                                aria-pressed=move || (current.get() == theme).to_string()
                            >
                                {theme.label()}
                            </button>
                        </ActionForm>
                    }
                })
                .collect_view()}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The custom properties a rule starting at `start` in the stylesheet sets (its lines up to the
    /// closing brace), trimmed.
    fn block(css: &str, start: &str) -> Vec<String> {
        let from = css.find(start).expect(start) + start.len();
        css[from..]
            .lines()
            .map(str::trim)
            .take_while(|line| !line.starts_with('}'))
            .filter(|line| line.starts_with("--sk-"))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_chosen_dark_theme_and_the_system_s_dark_theme_are_the_same_palette() {
        let css = include_str!("../../../style/main.css");
        let chosen = block(css, ":root[data-theme=\"dark\"] {");
        let system = block(css, ":root:not([data-theme=\"light\"]) {");
        assert!(chosen.len() > 10, "{chosen:?}");
        assert_eq!(chosen, system);
    }

    #[test]
    fn a_theme_round_trips_through_its_key_and_nothing_else_is_one() {
        for theme in Theme::ALL {
            assert_eq!(Theme::parse(theme.key()), Some(theme));
        }
        assert_eq!(Theme::parse("Dark"), None);
        assert_eq!(Theme::System.attribute(), None);
        assert_eq!(Theme::Dark.attribute(), Some("dark"));
    }
}
