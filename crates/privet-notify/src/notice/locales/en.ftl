### Privet breach notices: English, the reference locale.
###
### Every other locale defines every message in this file (a unit test checks it), and an override file
### (`<locale>.ftl` in `breach.templates`) may redefine any of them.
###
### Placeables the code passes:
###   $controller, $processor, $organisation, $name  names; may be in any script
###   $sender, $dpo                                  addresses; always shown left to right
###   $aware, $occurred                              dates, already formatted with the `date` message;
###                                                  every sentence uses them as "on <date>"
###   $members, $people                              counts (numbers); select plural forms on them
###   $parts                                         location parts, already joined with `list-separator`
###
### Write for a worried reader: short sentences, plain words, no alarm, no exclamation marks and no links.
### Do not put punctuation right after $sender or $dpo where you can avoid it: people copy these.

## Formatting helpers

# The name of this language, in this language (the public page lists the languages by it).
language-name = English

# A date, as used after "on". $day and $month are numbers, $year is text.
date = { $day } { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } { $year }

# Separates the items of a short inline list ("city, region, country").
list-separator = {", "}

## Subject lines: short and calm, the same structure in every language.

subject-person-processor = Security notice: some of your data was exposed at { $processor }
subject-person-own = Security notice: some of your data at { $controller } was exposed
subject-org-processor = Security notice: data about members of { $organisation } was exposed at { $processor }
subject-org-own = Security notice: data about members of { $organisation } was exposed
subject-public-processor = Security notice: data about { $controller } users was exposed at { $processor }
subject-public-own = Security notice: data about { $controller } users was exposed

## Greeting

greeting-named = Hello { $name },
greeting = Hello,

## What happened

heading-what-happened = What happened
happened-person-processor = On { $aware }, { $processor }, a service provider we used for product analytics, told us that an attacker had gained access to its systems and exported a dataset. That dataset included some data about you that { $processor } processed for us.
happened-person-own = On { $aware }, we found out that an attacker had gained access to our systems and copied a dataset that included some data about you.
happened-org-processor = On { $aware }, { $processor }, a service provider we used for product analytics, told us that an attacker had gained access to its systems and exported a dataset. That dataset included data about { $members ->
        [one] one member
       *[other] { $members } members
    } of { $organisation } that { $processor } processed for us.
happened-org-own = On { $aware }, we found out that an attacker had gained access to our systems and copied a dataset. That dataset included data about { $members ->
        [one] one member
       *[other] { $members } members
    } of { $organisation }.
happened-public-processor = On { $aware }, { $processor }, a service provider we used for product analytics, told us that an attacker had gained access to its systems and exported a dataset. That dataset included data about { $people ->
        [one] one person who uses
       *[other] { $people } people who use
    } { $controller }.
happened-public-own = On { $aware }, we found out that an attacker had gained access to our systems and copied a dataset. That dataset included data about { $people ->
        [one] one person who uses
       *[other] { $people } people who use
    } { $controller }.
happened-occurred = The attacker accessed the data on { $occurred }.
org-why = You are receiving this summary because you administer { $organisation } on { $controller }.
public-why = We are publishing this notice because we cannot reach everyone affected personally. If you have used { $controller }, please read it.

## What was exposed, and what was not

heading-exposed-person = Which of your data was exposed
heading-exposed-org = Which data was exposed
heading-exposed-public = Which data was exposed
exposed-intro-person = The exposed dataset included:
exposed-intro-org = For these members, the exposed dataset included:
exposed-intro-public = If you had an account with { $controller }, the exposed dataset may include the following about you:
sensitive-exposed-person = Some of this data is sensitive. Please take the first steps listed below today.
sensitive-exposed-org = Some of this data is sensitive. Please start the first steps listed below today.
heading-not-exposed = What was not exposed
not-exposed-intro = The exposed dataset did not include:

# Categories of data, for one person (also used by the public notice, after "if you had an account").
cat-email = Your email address
cat-name = Your name
cat-phone = Your phone number
cat-user-id = Your internal user ID (a reference number in our systems)
cat-org-id = Your organisation's internal ID
cat-org-name = Your organisation's name
cat-location = Your approximate location ({ $parts })
cat-ip = Your IP address
cat-os = Your operating system
cat-browser = Your browser
cat-os-browser = Your operating system and browser
cat-device = Your type of device (for example, phone or computer)
cat-referrer = The website that referred you to us
cat-locale = Your language setting
cat-password = Your password
cat-api-key = Your API keys
cat-payment = Your payment details
cat-conversation = Your conversations and chat content

# The same categories, for the members of an organisation (in the administrators' summary).
cat-members-email = Email addresses
cat-members-name = Names
cat-members-phone = Phone numbers
cat-members-user-id = Internal user IDs
cat-members-org-id = Your organisation's internal ID
cat-members-org-name = Your organisation's name
cat-members-location = Approximate locations ({ $parts })
cat-members-ip = IP addresses
cat-members-os = Operating systems
cat-members-browser = Browsers
cat-members-os-browser = Operating systems and browsers
cat-members-device = Types of device
cat-members-referrer = The websites that referred members to us
cat-members-locale = Language settings
cat-members-password = Passwords
cat-members-api-key = API keys
cat-members-payment = Payment details
cat-members-conversation = Conversations and chat content

# The parts of an approximate location, joined into $parts.
loc-city = city
loc-region = region
loc-country = country

## What it could mean

heading-consequences = What this could mean for you
heading-consequences-org = What this could mean for your team
consequences-person-targeted = Whoever has this data may use it to send you phishing messages: emails, text messages or calls that pretend to come from { $controller }, from another service you use or from a colleague. Because they may know details such as your name, your city and your organisation, these messages can look convincing. They usually try to get you to sign in on a fake page, to share a password or code, or to make a payment.
consequences-person-general = On its own, this data is of little use to an attacker. Still, criminals often use news of a breach to send phishing messages that mention it, so be careful with unexpected messages about this incident.
consequences-org-targeted = Members of { $organisation } may receive phishing messages that pretend to come from { $controller }, from another service or from someone on their team. Because the senders may know their names, their city and the name of { $organisation }, these messages can look convincing. They usually try to get people to sign in on a fake page, to share a password or code, or to make a payment.
consequences-org-general = On its own, this data is of little use to an attacker. Still, criminals often use news of a breach to send phishing messages that mention it, so your team should be careful with unexpected messages about this incident.
consequences-public-targeted = If you had an account, you may receive phishing messages: emails, text messages or calls that pretend to come from { $controller }, from another service you use or from a colleague. Because the senders may know details such as your name, your city and your organisation, these messages can look convincing. They usually try to get you to sign in on a fake page, to share a password or code, or to make a payment.
consequences-public-general = On its own, this data is of little use to an attacker. Still, criminals often use news of a breach to send phishing messages that mention it, so be careful with unexpected messages about this incident.

## What we did (the controller's own lines follow this heading)

heading-measures = What we have done
measures-empty = We are still investigating. If we learn anything that changes this notice, we will tell you.

## What to do

heading-advice-person = What you should do
heading-advice-org = What to tell your team
advice-password = Change your password for { $controller } now. If you use the same password anywhere else, change it there too.
advice-api-key = Revoke your API keys for { $controller } and create new ones. Then update every place that uses them.
advice-payment = Check your bank and card statements, and tell your bank at once about any payment you do not recognise.
advice-conversation = Your conversations with us were exposed. Think about what you shared in them; if they contained passwords, keys or other secrets, change them.
advice-check-sender = Check the sender of every message about this incident. We write only from { $sender }, and the sender's address must end in one of our official domains listed below. Watch out for look-alike domains with added or swapped letters.
advice-no-secrets = We will never ask you for your password, your API keys or a one-time code, whether by email, phone or chat. Anyone who asks for them is not us.
advice-mfa = Turn on multi-factor authentication (for example, with an authenticator app) for your { $controller } account and for your email account.
advice-urgency = Be suspicious of messages that push you to act at once, threaten to close your account or ask for a payment. Take your time and check.
advice-no-links = This message contains no links and no attachments. If a message about this incident asks you to sign in through a link, do not use it: type our address into your browser yourself.
advice-no-links-public = Our messages about this incident contain no links and no attachments. If a message about this incident asks you to sign in through a link, do not use it: type our address into your browser yourself.
advice-members-password = Ask every member to change their password for { $controller }, and anywhere else they use the same password.
advice-members-api-key = Revoke all API keys of { $organisation } for { $controller }, create new ones and update every system that uses them.
advice-members-payment = Check the payment records of { $organisation } and report any payment you do not recognise to your bank.
advice-members-conversation = Conversations of your members were exposed. Ask them whether they shared passwords, keys or other secrets in them, and have those changed.
advice-members-phishing = Warn your team that they may receive convincing phishing messages that mention their name, their city or the name of { $organisation }.
advice-members-no-secrets = Remind them that we will never ask for passwords, API keys or one-time codes by email, phone or chat.
advice-members-mfa = Require multi-factor authentication for every member of { $organisation } on { $controller }, and encourage it for their email accounts too.
advice-members-report = Ask them to report suspicious messages to you or your security team instead of replying or clicking.

## How to recognise us, and whom to ask

heading-official-domains = Our official domains
official-domains-intro = Genuine messages and websites from { $controller } use only these domains. A domain that merely looks similar is not ours:
heading-contact = Questions and contact
sender-statement = This message comes only from { $sender }. We will not write to you about this incident from any other address.
sender-statement-public = Our messages about this incident come only from { $sender }.
dpo-contact = If you have questions, contact our data protection officer: { $dpo }
complaint = You also have the right to lodge a complaint with a data protection supervisory authority, in particular in the country where you live or work.
signoff =
    Kind regards,
    { $controller }
