//! Where Storyline lives in the site, and the paths of everything in it.

/// Where Storyline lives in the site: every link, form action, asset URL, redirect and webhook path is built here from
/// the mount path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Links {
    /// The mount path without a trailing slash: empty at the root, `/stories` inside a host.
    base: String,
}

impl Links {
    /// Links under a mount path (`/`, `/stories`, `/stories/`).
    pub(crate) fn new(mount: &str) -> Links {
        Links {
            base: mount.trim_end_matches('/').to_owned(),
        }
    }

    /// The mount path without a trailing slash (empty at the root).
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The landing page: `/` at the root, the mount path itself inside a host.
    pub(crate) fn home(&self) -> String {
        if self.base.is_empty() {
            "/".into()
        } else {
            self.base.clone()
        }
    }

    /// A path under the mount point: `path("/recording/x")` is `/stories/recording/x` inside a host.
    pub(crate) fn path(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A recording's page.
    pub(crate) fn recording(&self, id: &str) -> String {
        self.path(&format!("/recording/{id}"))
    }
}

impl Links {
    /// A recording's audio.
    pub(crate) fn audio(&self, id: &str) -> String {
        format!("{}/audio", self.recording(id))
    }

    /// One of a recording's webhooks (`call_started`, `call_status`, …).
    pub(crate) fn webhook(&self, id: &str, hook: &str) -> String {
        format!("{}/{hook}", self.recording(id))
    }
}
