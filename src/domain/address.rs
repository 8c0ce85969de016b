//! A postal address as companies and shipping addresses both show it (§5.1).

/// The parts of a postal address, each absent or present.
#[derive(Debug, Clone, Copy, Default)]
pub struct Address<'a> {
    pub line_1: Option<&'a str>,
    pub line_2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub state: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
}

impl Address<'_> {
    /// `line_1, line_2, city, state postal_code, country`, leaving out absent parts; `None` when
    /// every part is absent.
    pub fn compose(&self) -> Option<String> {
        let state_zip = match (self.state, self.postal_code) {
            (Some(s), Some(z)) => Some(format!("{s} {z}")),
            (Some(s), None) => Some(s.to_owned()),
            (None, Some(z)) => Some(z.to_owned()),
            (None, None) => None,
        };
        let parts: Vec<String> = [
            self.line_1.map(str::to_owned),
            self.line_2.map(str::to_owned),
            self.city.map(str::to_owned),
            state_zip,
            self.country.map(str::to_owned),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() {
            None
        } else {
            Some(parts.join(", "))
        }
    }
}
