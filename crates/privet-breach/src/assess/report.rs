//! An assessment, written for people: a terminal summary and a self-contained HTML report. (The JSON form is
//! the [`crate::Assessment`] itself.)

use std::fmt::Write;

use chrono::{DateTime, Utc};
use minijinja::{Environment, context};

use crate::{Assessment, Incident, RiskLevel};

/// The summary `privet breach assess` prints.
pub fn summary(incident: &Incident, a: &Assessment, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Incident {}: {}", incident.id, incident.title);
    let _ = writeln!(
        out,
        "  deadline {} ({})",
        incident.deadline().to_rfc3339(),
        incident.clock(now)
    );
    let _ = writeln!(
        out,
        "  {} records read from {} file(s): {} matched, {} matched nobody, {} canary",
        a.records,
        a.sources.len(),
        a.matched_records,
        a.unmatched_records,
        a.canary_records
    );
    let level = |l: RiskLevel| a.people.iter().filter(|p| p.risk.level == l).count();
    let _ = writeln!(
        out,
        "  {} people affected (high risk {}, medium {}, low {}), {} organisations",
        a.people.len(),
        level(RiskLevel::High),
        level(RiskLevel::Medium),
        level(RiskLevel::Low),
        a.organisations.len()
    );
    let contactless = a.people.iter().filter(|p| p.contact.is_none()).count();
    if contactless > 0 {
        let _ = writeln!(
            out,
            "  {contactless} affected people have no address: they need the public notice (Art. 34(3)(c))"
        );
    }
    let _ = writeln!(out, "  exposed (people / records):");
    for (category, records) in &a.records_by_category {
        let people = a.people_by_category.get(category).copied().unwrap_or(0);
        let _ = writeln!(out, "    {:<14} {people:>9} / {records}", category.key());
    }
    if !a.people_by_country.is_empty() {
        let mut countries: Vec<_> = a.people_by_country.iter().collect();
        countries.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        let top: Vec<String> = countries
            .iter()
            .take(10)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let _ = writeln!(out, "  people by country: {}", top.join(", "));
    }
    for c in &a.canaries {
        let _ = writeln!(
            out,
            "  CANARY {} found in {} record(s): this dataset came from \"{}\" (planted {})",
            c.canary,
            c.records,
            c.planted_for,
            c.planted_at.to_rfc3339()
        );
    }
    out
}

const HTML: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Incident {{ incident.id }}: assessment</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.high{color:#8b0000;font-weight:600}.medium{color:#7a4b00}.canary{background:#fff3cd;padding:.5rem;border:1px solid #d4a400}
@media print{body{margin:0}}
</style></head><body>
<h1>Incident {{ incident.id }}: {{ incident.title }}</h1>
<p>Assessed {{ a.assessed_at }}. Deadline for the authority: {{ deadline }} ({{ clock }}).</p>
<h2>Summary</h2>
<ul>
<li>{{ a.records }} leaked records in {{ a.sources|length }} file(s): {{ a.matched_records }} matched a known person, {{ a.unmatched_records }} matched nobody, {{ a.canary_records }} were canaries.</li>
<li>{{ people_total }} people affected; {{ high }} at high risk. {{ organisations_total }} organisations affected.</li>
</ul>
{% for c in a.canaries %}<p class="canary"><strong>Canary {{ c.canary }}</strong> found in {{ c.records }} record(s) (matched on {{ c.matched_on|join(", ") }}): this dataset passed through <strong>{{ c.planted_for }}</strong>, where the canary was planted on {{ c.planted_at }}.</p>{% endfor %}
<h2>Categories exposed</h2>
<table><tr><th>Category</th><th>People</th><th>Records</th></tr>
{% for c in categories %}<tr><td>{{ c.0 }}</td><td>{{ c.1 }}</td><td>{{ c.2 }}</td></tr>{% endfor %}</table>
<h2>Sources</h2>
{% for s in a.sources %}<h3>{{ s.file }} ({{ s.format }}, {{ s.records }} records)</h3>
<table><tr><th>Column</th><th>Understood as</th></tr>{% for col in s.columns %}<tr><td>{{ col.column }}</td><td>{{ col.category or "ignored" }}{% if col.overridden %} (flag){% endif %}</td></tr>{% endfor %}</table>{% endfor %}
<h2>People</h2>
{% if people|length < people_total %}<p>The {{ people|length }} at highest risk of {{ people_total }}; <code>assessment.json</code> lists everyone.</p>{% endif %}
<table><tr><th>Key</th><th>Contact</th><th>Matched by</th><th>Exposed</th><th>Records</th><th>Country</th><th>Risk</th></tr>
{% for p in people %}<tr><td><code>{{ p.key }}</code></td><td>{{ p.contact or "none" }}</td><td>{{ p.matched_by|join(", ") }}</td><td>{{ p.exposed|join(", ") }}</td><td>{{ p.records }}</td><td>{{ p.country or "?" }}</td><td class="{{ p.risk.level }}">{{ p.risk.level }}: {{ p.risk.reasons|join("; ") }}</td></tr>{% endfor %}</table>
<h2>Organisations</h2>
{% if organisations|length < organisations_total %}<p>The {{ organisations|length }} with most affected members of {{ organisations_total }}; <code>assessment.json</code> lists all.</p>{% endif %}
<table><tr><th>Key</th><th>Members affected</th><th>Administrators to notify</th><th>Exposed</th><th>Records</th></tr>
{% for o in organisations %}<tr><td><code>{{ o.key }}</code></td><td>{{ o.members|length }}</td><td>{{ o.admin_contacts|join(", ") or "none known" }}</td><td>{{ o.exposed|join(", ") }}</td><td>{{ o.records }}</td></tr>{% endfor %}</table>
</body></html>
"#;

/// People (and organisations) listed in the HTML report: the rest are in `assessment.json`. A report of a
/// million rows helps nobody and costs gigabytes to render.
pub const HTML_ROWS: usize = 1000;

/// The HTML report written beside the incident.
pub fn html(incident: &Incident, a: &Assessment, now: DateTime<Utc>) -> String {
    // Everything but the long lists, which go in as slices.
    let summary = a.clone_summary();
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.add_template("assessment.html", HTML)
        .expect("the built-in template parses");
    let categories: Vec<(String, u64, u64)> = a
        .records_by_category
        .iter()
        .map(|(c, records)| {
            let people = a.people_by_category.get(c).copied().unwrap_or(0);
            (c.key().to_string(), people, *records)
        })
        .collect();
    let high = a
        .people
        .iter()
        .filter(|p| p.risk.level == RiskLevel::High)
        .count();
    env.get_template("assessment.html")
        .and_then(|t| {
            t.render(context! {
                incident => minijinja::value::Serde(incident),
                a => minijinja::value::Serde(&summary),
                people => minijinja::value::Serde(&a.people[..a.people.len().min(HTML_ROWS)]),
                people_total => a.people.len(),
                organisations => minijinja::value::Serde(
                    &a.organisations[..a.organisations.len().min(HTML_ROWS)]
                ),
                organisations_total => a.organisations.len(),
                categories => categories,
                high => high,
                deadline => incident.deadline().to_rfc3339(),
                clock => incident.clock(now),
            })
        })
        .expect("the built-in template renders")
}
