//! Rendering: one minijinja environment with the two embedded templates. HTML is auto-escaped as HTML;
//! Markdown by a small escaper that keeps values from turning into tags, links or table cells.

use std::sync::OnceLock;

use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, Error, Output, State, UndefinedBehavior, Value};

/// The Markdown template's name.
pub(crate) const MARKDOWN: &str = "report.md";
/// The HTML template's name.
pub(crate) const HTML: &str = "report.html";

/// The custom auto-escape format of the Markdown template.
const MARKDOWN_ESCAPE: &str = "markdown";

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            SyntaxConfig::builder()
                .trim_blocks(true)
                .lstrip_blocks(true)
                .keep_trailing_newline(true)
                .build()
                .expect("a valid syntax"),
        );
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::Custom(MARKDOWN_ESCAPE.into())
            }
        });
        env.set_formatter(format_value);
        env.add_filter("plural", plural);
        env.add_template(MARKDOWN, include_str!("templates/report.md.j2"))
            .expect("the Markdown template parses");
        env.add_template(HTML, include_str!("templates/report.html.j2"))
            .expect("the HTML template parses");
        env
    })
}

/// Renders `template` with `context`. The templates are embedded and covered by tests, so failing is a bug.
pub(crate) fn render(template: &str, context: &Value) -> String {
    environment()
        .get_template(template)
        .and_then(|t| t.render(context))
        .unwrap_or_else(|e| panic!("the embedded template {template} failed to render: {e:#}"))
}

fn format_value(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == MARKDOWN_ESCAPE => {
            let text = value.to_string();
            if value.is_safe() {
                out.write_str(&text)?;
            } else {
                out.write_str(&escape_markdown(&text))?;
            }
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// `{{ n | plural("person", "people") }}`: "1 person", "3 people".
fn plural(n: u64, one: &str, many: &str) -> String {
    super::content::count(n, one, many)
}

/// Backslash-escapes what would make a value a tag, a link or a table cell, and folds line breaks into spaces
/// (multi-line texts reach the templates as lists of paragraphs).
pub(crate) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '<' | '>' | '[' | ']' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}
