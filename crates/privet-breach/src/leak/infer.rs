//! Which [`DataCategory`] a leaked column holds, guessed from its name alone (never from its values).
//!
//! Names are compared without case, spaces, punctuation or a leading `$` (`Work E-mail`, `work_email`,
//! `workEmail` and `$work_email` are the same name). A nested JSON key (`user.email`,
//! `properties.$email`) is judged by its last segment, and by its parent when the last segment is generic
//! (`company.name` is an organisation name, `user.id` a user id, `name.first` a first name, `phone.number` a
//! phone number).
//!
//! Three passes, the first that answers wins:
//!
//! 1. the whole name against a table of known names (`email`, `mp_country_code`, `$initial_referrer`, …);
//! 2. the name's last two words, then its last word, against a shorter table of words that name the category
//!    whatever precedes them (`work_email`, `billing_phone`, `client_ip`, `refresh_token`), unless the name
//!    starts with `is`/`has`/`had` (a flag such as `is_email_verified`);
//! 3. nothing: the column is ignored, and listed as such in the summary so the operator can name it with
//!    `--column 'NAME=CATEGORY'`.
//!
//! Decisions worth knowing:
//!
//! * `username`, `login`, `screen_name` are [`DataCategory::UserId`]: an account handle, chosen to identify
//!   the account, not the person's legal name (it is often matched against the accounts file as an id).
//! * `$device_id`, `device_id`, `anonymous_id` are [`DataCategory::UserId`]: Mixpanel's `distinct_id` *is* the
//!   device id until a person is identified, and [`DataCategory::Device`] means the kind of device (`$model`,
//!   `$manufacturer`), not an identifier.
//! * `user_agent` is [`DataCategory::Browser`]; `platform` is [`DataCategory::Os`]; `model` is
//!   [`DataCategory::Device`].
//! * `first_name`, `middle_name` and `last_name` (`surname`, `$last_name`, `name.first`, …) are
//!   [`DataCategory::Name`], and a record's parts are joined into one value, `First Middle Last`.
//! * A bare `id` is ignored (an event id as often as a user id), and so is a `name` under an unknown parent
//!   (`product.name`, `plan.name`); `utm_*`, `mp_lib`, `time`, `event` are not personal.
//! * In a Mixpanel export, `token` is the project's ingestion token, not a person's secret: ignored.

use privet_model::DataCategory;

/// How a column's values are used.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// Not personal data Privet recognises.
    Ignore,
    /// Kept as a value of this category.
    Keep(DataCategory),
    /// A part of the person's name, joined with the others into one [`DataCategory::Name`] value.
    FirstName,
    MiddleName,
    LastName,
}

impl Role {
    /// The category the summary lists.
    pub(super) fn category(self) -> Option<DataCategory> {
        match self {
            Role::Ignore => None,
            Role::Keep(c) => Some(c),
            Role::FirstName | Role::MiddleName | Role::LastName => Some(DataCategory::Name),
        }
    }
}

/// The category a column named `column` most likely holds, or `None` when the name says nothing Privet
/// recognises (see the module documentation for the rules).
pub fn infer_category(column: &str) -> Option<DataCategory> {
    infer_role(column, false).category()
}

/// [`infer_category`], telling name parts apart; `mixpanel` applies Mixpanel's conventions (`token`).
pub(super) fn infer_role(column: &str, mixpanel: bool) -> Role {
    let mut segments = column.split('.').filter(|s| !s.trim().is_empty());
    let Some(last) = segments.next_back() else {
        return Role::Ignore;
    };
    // `properties.$name`, `traits.name`: a container of the record's own fields is no parent; nor is any
    // parent of a Mixpanel reserved property (`$name`, `$email`).
    let parent = segments.next_back().filter(|p| {
        !last.starts_with('$')
            && !matches!(
                normalise(p).as_str(),
                "properties"
                    | "traits"
                    | "attributes"
                    | "fields"
                    | "data"
                    | "record"
                    | "row"
                    | "values"
            )
    });
    if mixpanel && parent.is_none() && normalise(last) == "token" {
        return Role::Ignore;
    }
    if let Some(parent) = parent
        && let Some(role) = nested(parent, last)
    {
        return role;
    }
    segment(last)
}

/// A generic last segment (`name`, `id`, `first`, `number`…) judged by its parent. `None`: not generic.
fn nested(parent: &str, last: &str) -> Option<Role> {
    use DataCategory::*;
    let p = normalise(parent);
    let l = normalise(last);
    let org = matches!(
        p.as_str(),
        "company"
            | "organization"
            | "organisation"
            | "org"
            | "workspace"
            | "team"
            | "tenant"
            | "group"
            | "employer"
            | "business"
    );
    let person = matches!(
        p.as_str(),
        "user"
            | "customer"
            | "person"
            | "member"
            | "contact"
            | "owner"
            | "author"
            | "profile"
            | "sender"
            | "recipient"
            | "buyer"
            | "client"
            | "lead"
            | "employee"
            | "subscriber"
            | "people"
            | "identity"
    );
    let id = matches!(l.as_str(), "id" | "uuid" | "uid");
    let role = match l.as_str() {
        "name" | "fullname" | "displayname" if org => Role::Keep(OrgName),
        "name" | "fullname" | "displayname" if person => Role::Keep(Name),
        _ if id && org => Role::Keep(OrgId),
        _ if id && (person || p == "device" || p == "account") => Role::Keep(UserId),
        "first" | "given" | "firstname" | "givenname" if p == "name" => Role::FirstName,
        "middle" | "middlename" if p == "name" => Role::MiddleName,
        "last" | "family" | "lastname" | "familyname" | "surname" if p == "name" => Role::LastName,
        "name" | "id" | "uuid" | "uid" | "value" | "number" | "address" | "code" | "full"
        | "formatted" | "e164" | "raw" | "iso" | "isocode" | "alpha2" | "display" => {
            match segment(parent) {
                // `phone.number`, `email.address`, `country.code`, `os.name`, `name.full`; not `user_id.name`.
                Role::Keep(c) if !id && !matches!(c, UserId | OrgId) => Role::Keep(c),
                // `product.name`, `event.id`: someone else's name or id.
                _ if l == "name" || id => Role::Ignore,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(role)
}

/// One name segment, by the three passes of the module documentation.
fn segment(name: &str) -> Role {
    let whole = normalise(name);
    if let Some(role) = exact(&whole) {
        return role;
    }
    let words = words(name);
    if words.len() < 2 || matches!(words[0].as_str(), "is" | "has" | "had") {
        return Role::Ignore;
    }
    let last_two = format!("{}{}", words[words.len() - 2], words[words.len() - 1]);
    suffix(&last_two)
        .or_else(|| suffix(&words[words.len() - 1]))
        .unwrap_or(Role::Ignore)
}

/// Lower case, letters and digits only: `$First-Name` → `firstname`.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a name, split at punctuation, spaces and camelCase humps, lower case:
/// `IPAddress` → `ip`, `address`; `userEmail_2` → `user`, `email`, `2`.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1);
        let hump = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_numeric()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if hump && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Pass 1: whole names.
fn exact(name: &str) -> Option<Role> {
    use DataCategory::*;
    let category = match name {
        "email" | "mail" | "emailaddress" | "emailaddr" | "mailaddress" | "useremail"
        | "emailid" => Email,
        "name" | "fullname" | "displayname" | "realname" | "customername" | "contactname"
        | "personname" | "membername" | "ownername" | "clientname" | "billingname"
        | "cardholder" | "cardholdername" => Name,
        "firstname" | "givenname" | "fname" | "forename" | "vorname" | "prenom" | "prénom" => {
            return Some(Role::FirstName);
        }
        "middlename" => return Some(Role::MiddleName),
        "lastname" | "surname" | "familyname" | "lname" | "nachname" | "familienname" => {
            return Some(Role::LastName);
        }
        "phone" | "phonenumber" | "phoneno" | "mobile" | "mobilenumber" | "mobilephone"
        | "cellphone" | "tel" | "telephone" | "telefon" | "telefono" | "teléfono" | "téléphone"
        | "msisdn" | "contactnumber" => Phone,
        "distinctid" | "userid" | "uid" | "accountid" | "customerid" | "memberid" | "personid"
        | "profileid" | "deviceid" | "anonymousid" | "anonid" | "username" | "login"
        | "loginname" | "screenname" => UserId,
        "orgid" | "organizationid" | "organisationid" | "companyid" | "workspaceid" | "teamid"
        | "tenantid" | "groupid" | "businessid" => OrgId,
        "orgname" | "org" | "organization" | "organisation" | "organizationname"
        | "organisationname" | "company" | "companyname" | "employer" | "business"
        | "businessname" | "workspacename" | "teamname" | "tenantname" | "accountname"
        | "firma" | "unternehmen" | "entreprise" | "empresa" => OrgName,
        "city" | "town" | "locality" | "stadt" | "ville" | "ciudad" => City,
        "region" | "state" | "province" | "subdivision" | "county" | "stateprovince"
        | "bundesland" => Region,
        "country" | "countrycode" | "mpcountrycode" | "countryname" | "geocountry" | "pays"
        | "pais" | "país" => Country,
        "ip" | "ipaddress" | "ipaddr" | "ipv4" | "ipv6" | "clientip" | "remoteip"
        | "remoteaddr" | "lastip" | "xforwardedfor" | "forwardedfor" => Ip,
        "os" | "operatingsystem" | "platform" | "osname" => Os,
        "browser" | "browsername" | "useragent" | "ua" | "httpuseragent" => Browser,
        "device" | "model" | "manufacturer" | "devicemodel" | "devicetype" | "devicename" => Device,
        "referrer"
        | "referer"
        | "initialreferrer"
        | "referringdomain"
        | "initialreferringdomain"
        | "httpreferer"
        | "httpreferrer"
        | "referrerurl" => Referrer,
        "locale" | "language" | "lang" | "acceptlanguage" => Locale,
        "password" | "pass" | "pwd" | "passwd" | "passwordhash" | "hashedpassword" | "passcode"
        | "passphrase" | "passwort" | "motdepasse" | "contrasena" | "contraseña" => Password,
        "apikey" | "token" | "secret" | "accesstoken" | "refreshtoken" | "authtoken"
        | "sessiontoken" | "bearertoken" | "secretkey" | "privatekey" | "clientsecret"
        | "apisecret" | "apitoken" => ApiKey,
        "card" | "cardnumber" | "creditcard" | "creditcardnumber" | "ccnumber" | "ccnum"
        | "iban" | "payment" | "paymentcard" | "paymentmethod" | "cvv" | "cvc" | "cvv2"
        | "bankaccount" => Payment,
        "message" | "messages" | "chat" | "chatmessage" | "conversation" | "conversations"
        | "prompt" | "transcript" | "chatlog" | "chathistory" => Conversation,
        _ => return None,
    };
    Some(Role::Keep(category))
}

/// Pass 2: words that name the category whatever precedes them (`work_email`, `client_ip`).
fn suffix(word: &str) -> Option<Role> {
    use DataCategory::*;
    let category = match word {
        "email" | "mail" | "emailaddress" => Email,
        "fullname" | "displayname" => Name,
        "firstname" | "givenname" => return Some(Role::FirstName),
        "lastname" | "surname" | "familyname" => return Some(Role::LastName),
        "phone" | "phonenumber" | "telephone" | "msisdn" => Phone,
        "distinctid" | "userid" => UserId,
        "orgid" | "organizationid" | "organisationid" | "companyid" => OrgId,
        "orgname" | "companyname" | "organizationname" | "organisationname" => OrgName,
        "city" => City,
        "province" => Region,
        "country" | "countrycode" => Country,
        "ip" | "ipaddress" | "ipv4" | "ipv6" => Ip,
        "os" => Os,
        "browser" | "useragent" => Browser,
        "referrer" | "referer" | "referringdomain" => Referrer,
        "locale" | "language" => Locale,
        "password" | "passwd" | "passwordhash" => Password,
        "apikey" | "token" | "secret" | "secretkey" => ApiKey,
        "cardnumber" | "creditcard" | "iban" => Payment,
        _ => return None,
    };
    Some(Role::Keep(category))
}
