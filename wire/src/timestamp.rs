//! ISO-8601 UTC instants with exactly three fraction digits and a `Z`, as production's
//! `Date.toJSON()` writes them (`2025-11-11T10:22:33.123Z`).

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A point in time on the wire, kept to the millisecond.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time, truncated to milliseconds (what the wire can carry).
    pub fn now() -> Self {
        Self::from_millis(Utc::now().timestamp_millis())
    }

    /// From milliseconds since the Unix epoch. Out-of-range values clamp to the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Self(Utc.timestamp_millis_opt(ms).single().unwrap_or_default())
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The underlying chrono value.
    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = DateTime::parse_from_rfc3339(s)?;
        Ok(Self::from_millis(parsed.timestamp_millis()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_three_fraction_digits_and_z() {
        let t = Timestamp::from_millis(1_762_856_553_120);
        assert_eq!(t.to_string(), "2025-11-11T10:22:33.120Z");
        let whole = Timestamp::from_millis(1_762_856_553_000);
        assert_eq!(whole.to_string(), "2025-11-11T10:22:33.000Z");
    }

    #[test]
    fn round_trips_and_accepts_offsets() {
        let t: Timestamp = "2025-11-11T10:22:33.123Z".parse().unwrap();
        assert_eq!(t.millis(), 1_762_856_553_123);
        let o: Timestamp = "2025-11-11T11:22:33.123+01:00".parse().unwrap();
        assert_eq!(o, t);
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
