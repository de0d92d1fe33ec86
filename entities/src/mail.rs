//! How Releasedesk's e-mails and approval pages look: one layout, HTML escaping,
//! and plain-text companions. Rendering only; sending is the jobs' business.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The shared look: a full HTML document with `heading` and the (already
/// escaped) `body`, styled inline so mail clients keep it.
pub fn layout(heading: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title></head>\
<body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#172b4d\">\
<div style=\"max-width:640px;margin:0 auto;background:#fff;border:1px solid #dfe1e6;border-radius:6px;padding:24px\">\
<p style=\"margin:0 0 8px;color:#6b778c;font-size:13px\">Releasedesk</p>\
<h1 style=\"margin:0 0 16px;font-size:20px\">{title}</h1>\n{body}\n</div></body></html>\n",
        title = escape(heading),
    )
}

/// A two-column table of (label, value) rows; values are escaped here.
pub fn facts_table(rows: &[(&str, String)]) -> String {
    let mut html = String::from(
        "<table style=\"border-collapse:collapse;width:100%;margin:0 0 16px;font-size:14px\">",
    );
    for (label, value) in rows {
        html.push_str(&format!(
            "<tr><th style=\"text-align:left;padding:4px 12px 4px 0;color:#6b778c;font-weight:normal;vertical-align:top;white-space:nowrap\">{}</th>\
<td style=\"padding:4px 0\">{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    html.push_str("</table>");
    html
}

/// The same rows as plain text, one `label: value` per line.
pub fn facts_text(rows: &[(&str, String)]) -> String {
    rows.iter()
        .map(|(label, value)| format!("{label}: {value}\n"))
        .collect()
}

/// A button-like link.
pub fn button(label: &str, href: &str, colour: &str) -> String {
    format!(
        "<a href=\"{}\" style=\"display:inline-block;margin:0 8px 8px 0;padding:10px 18px;border-radius:4px;\
background:{colour};color:#fff;text-decoration:none;font-weight:600\">{}</a>",
        escape(href),
        escape(label)
    )
}

/// Green for approving, red for rejecting.
pub const APPROVE_COLOUR: &str = "#00875a";
/// See [`APPROVE_COLOUR`].
pub const REJECT_COLOUR: &str = "#de350b";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        let page = layout("<b>", &facts_table(&[("Title", "<i>".into())]));
        assert!(!page.contains("<b>") && !page.contains("<i>"));
    }
}
