//! The company's own accounts file: an export of its user database (CSV), which knows people the vault may not
//! (and their role in their organisation, which the vault never does).
//!
//! Columns are recognised by name like a leaked file's ([`crate::leak::infer_category`]); in addition a `role`
//! column (`role`, `org_role`, `account_role`, `is_admin`, `admin`) marks organisation administrators (`admin`,
//! `owner`, `administrator`, `true`, `yes`, `1`).

use std::path::Path;

use privet_model::DataCategory;

use crate::{BreachError, Result};

/// One account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub email: Option<String>,
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    pub locale: Option<String>,
    pub country: Option<String>,
    pub admin: bool,
}

const ROLE_COLUMNS: [&str; 6] = [
    "role",
    "orgrole",
    "accountrole",
    "isadmin",
    "admin",
    "userrole",
];
const ADMIN_VALUES: [&str; 6] = ["admin", "owner", "administrator", "true", "yes", "1"];

/// Reads an accounts CSV (UTF-8, a BOM is fine; `,`, `;` or tab separated).
pub fn read(path: &Path) -> Result<Vec<Account>> {
    let error = |reason: String| BreachError::Read {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let header = text.lines().next().unwrap_or_default();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| error(format!("the header line is not CSV: {e}")))?
        .clone();
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let categories: Vec<Option<DataCategory>> =
        headers.iter().map(crate::leak::infer_category).collect();
    let role = headers
        .iter()
        .position(|h| ROLE_COLUMNS.contains(&squash(h).as_str()));
    if !categories
        .iter()
        .any(|c| matches!(c, Some(DataCategory::Email | DataCategory::UserId)))
    {
        return Err(error(
            "no email or user id column found; name one `email` or `user_id`".into(),
        ));
    }
    let mut accounts = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| error(format!("record {}: {e}", i + 1)))?;
        let mut account = Account::default();
        let mut first_last: Vec<&str> = Vec::new();
        for (j, value) in record.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let slot = match categories.get(j).copied().flatten() {
                Some(DataCategory::Email) => &mut account.email,
                Some(DataCategory::Name) => {
                    let h = squash(&headers[j]);
                    if h.contains("first") || h.contains("last") || h.contains("surname") {
                        first_last.push(value);
                        continue;
                    }
                    &mut account.name
                }
                Some(DataCategory::UserId) => &mut account.user_id,
                Some(DataCategory::OrgId) => &mut account.org_id,
                Some(DataCategory::OrgName) => &mut account.org_name,
                Some(DataCategory::Locale) => &mut account.locale,
                Some(DataCategory::Country) => &mut account.country,
                _ => continue,
            };
            slot.get_or_insert_with(|| value.to_string());
        }
        if account.name.is_none() && !first_last.is_empty() {
            account.name = Some(first_last.join(" "));
        }
        account.admin = role
            .and_then(|j| record.get(j))
            .is_some_and(|v| ADMIN_VALUES.contains(&v.to_ascii_lowercase().as_str()));
        if account.email.is_some() || account.user_id.is_some() {
            accounts.push(account);
        }
    }
    Ok(accounts)
}
