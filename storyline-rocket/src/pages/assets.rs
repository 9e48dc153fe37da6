//! The pages' static files, compiled into the binary: the server needs no files beside it, and no request leaves the
//! origin (the fonts are self-hosted).
//!
//! The style sheet and script are linked with a fingerprint of their content (`?v=…`), so browsers may keep them for a
//! year and still see a new version at once.

/// One embedded file.
pub(crate) struct Asset {
    /// Its name under `/static/` (fonts under `/static/fonts/`).
    pub(crate) name: &'static str,
    /// Its media type.
    pub(crate) media_type: &'static str,
    /// Its bytes.
    pub(crate) body: &'static [u8],
}

/// The style sheet.
pub(crate) const CSS: Asset = Asset {
    name: "app.css",
    media_type: "text/css; charset=utf-8",
    body: include_bytes!("../../static/app.css"),
};

/// The script that makes the recording page live.
pub(crate) const JS: Asset = Asset {
    name: "app.js",
    media_type: "text/javascript; charset=utf-8",
    body: include_bytes!("../../static/app.js"),
};

/// The site's icon.
pub(crate) const ICON: Asset = Asset {
    name: "icon.svg",
    media_type: "image/svg+xml",
    body: include_bytes!("../../static/icon.svg"),
};

/// The display serif of the headings (Fraunces), the book serif of the text (Source Serif 4) and the sans of labels
/// and buttons (Public Sans), Latin subsets from `@fontsource`, under the SIL Open Font License (`static/fonts/`).
pub(crate) const FONTS: [Asset; 4] = [
    font(
        "fraunces-latin-400-normal.woff2",
        include_bytes!("../../static/fonts/fraunces-latin-400-normal.woff2"),
    ),
    font(
        "source-serif-4-latin-400-normal.woff2",
        include_bytes!("../../static/fonts/source-serif-4-latin-400-normal.woff2"),
    ),
    font(
        "public-sans-latin-400-normal.woff2",
        include_bytes!("../../static/fonts/public-sans-latin-400-normal.woff2"),
    ),
    font(
        "public-sans-latin-600-normal.woff2",
        include_bytes!("../../static/fonts/public-sans-latin-600-normal.woff2"),
    ),
];

/// The fonts every page needs before its first text is drawn: the heading's and the body's.
pub(crate) const PRELOAD: [&str; 2] = [FONTS[0].name, FONTS[1].name];

const fn font(name: &'static str, body: &'static [u8]) -> Asset {
    Asset {
        name,
        media_type: "font/woff2",
        body,
    }
}

/// A font by its file name.
pub(crate) fn font_named(name: &str) -> Option<&'static Asset> {
    FONTS.iter().find(|f| f.name == name)
}

/// FNV-1a: a stable fingerprint of a file's bytes, computed at compile time.
const fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The fingerprint of the style sheet, for its URL.
pub(crate) const CSS_VERSION: u64 = fingerprint(CSS.body);
/// The fingerprint of the script, for its URL.
pub(crate) const JS_VERSION: u64 = fingerprint(JS.body);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_are_woff2_files() {
        for f in &FONTS {
            assert_eq!(&f.body[..4], b"wOF2", "{}", f.name);
        }
    }

    #[test]
    fn fingerprints_change_with_the_content() {
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_ne!(CSS_VERSION, JS_VERSION);
    }

    #[test]
    fn the_style_sheet_names_its_fonts_relative_to_itself_so_any_mount_path_works() {
        let css = std::str::from_utf8(CSS.body).expect("UTF-8");
        assert!(!css.contains("url(/"), "no URL from the site's root");
        for font in &FONTS {
            assert!(css.contains(&format!("url(fonts/{})", font.name)), "{}", font.name);
        }
    }

    #[test]
    fn finds_fonts_by_name_only() {
        assert!(font_named("fraunces-latin-400-normal.woff2").is_some());
        assert!(font_named("../app.css").is_none());
    }
}
