//! Categories of personal data, as a breach assessment, a notice and an authority report name them.
//!
//! A leaked dataset's columns are mapped to these; a notice tells each person which categories of *their* data
//! were exposed and which were not; the Art. 33 report counts records per category.

use serde::{Deserialize, Serialize};

/// One category of personal data.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    Email,
    Name,
    Phone,
    /// An internal user id (`distinct_id`, `user_id`).
    UserId,
    /// An internal organisation id (`org_id`).
    OrgId,
    OrgName,
    City,
    Region,
    Country,
    /// An IP address.
    Ip,
    Os,
    Browser,
    Device,
    Referrer,
    Locale,
    Password,
    ApiKey,
    Payment,
    Conversation,
}

impl DataCategory {
    /// Every category, in the order reports list them.
    pub const ALL: [DataCategory; 19] = [
        DataCategory::Email,
        DataCategory::Name,
        DataCategory::Phone,
        DataCategory::UserId,
        DataCategory::OrgId,
        DataCategory::OrgName,
        DataCategory::City,
        DataCategory::Region,
        DataCategory::Country,
        DataCategory::Ip,
        DataCategory::Os,
        DataCategory::Browser,
        DataCategory::Device,
        DataCategory::Referrer,
        DataCategory::Locale,
        DataCategory::Password,
        DataCategory::ApiKey,
        DataCategory::Payment,
        DataCategory::Conversation,
    ];

    /// The categories a notice names as "not exposed" unless the leak contained them: the secrets people worry
    /// about first.
    pub const SENSITIVE: [DataCategory; 4] = [
        DataCategory::Password,
        DataCategory::ApiKey,
        DataCategory::Payment,
        DataCategory::Conversation,
    ];

    /// The stable name used in JSON, flags and message ids (`email`, `user_id`, …).
    pub fn key(self) -> &'static str {
        match self {
            DataCategory::Email => "email",
            DataCategory::Name => "name",
            DataCategory::Phone => "phone",
            DataCategory::UserId => "user_id",
            DataCategory::OrgId => "org_id",
            DataCategory::OrgName => "org_name",
            DataCategory::City => "city",
            DataCategory::Region => "region",
            DataCategory::Country => "country",
            DataCategory::Ip => "ip",
            DataCategory::Os => "os",
            DataCategory::Browser => "browser",
            DataCategory::Device => "device",
            DataCategory::Referrer => "referrer",
            DataCategory::Locale => "locale",
            DataCategory::Password => "password",
            DataCategory::ApiKey => "api_key",
            DataCategory::Payment => "payment",
            DataCategory::Conversation => "conversation",
        }
    }

    /// The category named `key` (as [`DataCategory::key`] spells it).
    pub fn from_key(key: &str) -> Option<DataCategory> {
        DataCategory::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Location categories (coarse location from an IP or the browser).
    pub fn is_location(self) -> bool {
        matches!(
            self,
            DataCategory::City | DataCategory::Region | DataCategory::Country | DataCategory::Ip
        )
    }
}

impl std::fmt::Display for DataCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_serde() {
        for c in DataCategory::ALL {
            assert_eq!(DataCategory::from_key(c.key()), Some(c));
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.key())
            );
        }
        assert_eq!(DataCategory::from_key("shoe_size"), None);
    }
}
