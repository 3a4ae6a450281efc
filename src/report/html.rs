//! Small HTML building blocks: escaping, the page frame, tables. Plain strings; nothing here
//! knows about evidence.

use std::fmt::Write;

/// Escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
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

/// What every page shares: titles, where the site root is from the page, the footer text.
pub struct Frame<'a> {
    pub window: &'a str,
    pub period: &'a str,
    pub generated: &'a str,
}

impl Frame<'_> {
    /// A whole page. `root` is the way from the page to the site folder (`""` or `"../"`).
    pub fn page(&self, root: &str, title: &str, body: &str) -> String {
        let mut out = self.head(root, title);
        out.push_str(body);
        out.push_str(&self.tail());
        out
    }

    /// A page up to and including its `<h1>`, for pages written piece by piece.
    pub fn head(&self, root: &str, title: &str) -> String {
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} · {window} · evidence report</title>\n\
             <link rel=\"stylesheet\" href=\"{root}report.css\">\n\
             <script src=\"{root}report.js\" defer></script>\n</head>\n<body>\n\
             <header>\n<p class=\"brand\">evidence-agent · audit window <strong>{window}</strong> \
             ({period})</p>\n<nav aria-label=\"Report\"><ul>\
             <li><a href=\"{root}index.html\">Overview and calendar</a></li>\
             <li><a href=\"{root}findings.html\">Findings</a></li>\
             <li><a href=\"{root}populations.html\">Populations</a></li>\
             <li><a href=\"{root}runs.html\">Runs by day</a></li></ul></nav>\n</header>\n\
             <main>\n<h1>{title}</h1>\n",
            title = esc(title),
            window = esc(self.window),
            period = esc(self.period),
        )
    }

    /// What follows the body of every page.
    pub fn tail(&self) -> String {
        format!(
            "</main>\n<footer>\n<p>Generated {generated} by evidence-agent {version} from the \
             vault's ledger and run records. This report is a derived view and not part of the \
             evidence chain: check the evidence itself with <code>sha256sum -c SHA256SUMS</code> \
             in a run folder or <code>evidence-agent verify</code>.</p>\n</footer>\n</body>\n</html>\n",
            generated = esc(self.generated),
            version = crate::AGENT_VERSION,
        )
    }
}

/// Closes what [`Table::head`] opened.
pub const TABLE_END: &str = "</tbody>\n</table></div>\n";

/// A sortable table: `report.js` sorts by a column when its header button is pressed.
pub struct Table {
    html: String,
}

impl Table {
    pub fn new(class: &str, caption: &str, columns: &[&str]) -> Table {
        let mut html = format!(
            "<div class=\"scroll\"><table class=\"sortable {}\">\n<caption>{}</caption>\n<thead><tr>",
            esc(class),
            esc(caption)
        );
        for c in columns {
            let _ = write!(
                html,
                "<th scope=\"col\"><button type=\"button\">{}</button></th>",
                esc(c)
            );
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        Table { html }
    }

    /// A row of cells already rendered as HTML (`<td>…</td>` each).
    pub fn row(&mut self, attrs: &str, cells: &str) {
        let _ = writeln!(self.html, "<tr{attrs}>{cells}</tr>");
    }

    pub fn finish(mut self) -> String {
        self.html.push_str(TABLE_END);
        self.html
    }

    /// Only the opening of the table, for rows written elsewhere; [`TABLE_END`] closes it.
    pub fn head(self) -> String {
        self.html
    }
}

/// A cell of text.
pub fn td(text: &str) -> String {
    format!("<td>{}</td>", esc(text))
}

/// A numeric cell (right-aligned).
pub fn num(n: impl std::fmt::Display) -> String {
    format!("<td class=\"num\">{n}</td>")
}

/// A cell with a link.
pub fn td_link(href: &str, text: &str) -> String {
    format!("<td><a href=\"{}\">{}</a></td>", esc(href), esc(text))
}

/// A cell holding a SHA-256, shown in full (auditors compare it) but allowed to wrap.
pub fn td_hash(hash: &str) -> String {
    format!("<td class=\"hash\"><code>{}</code></td>", esc(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_evidence_is_shown_not_run() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn a_table_has_header_cells_with_buttons_and_a_caption() {
        let mut t = Table::new("runs", "All <runs>", &["Day", "Runs"]);
        t.row("", &format!("{}{}", td("2026-01-05"), num(3)));
        let html = t.finish();
        assert!(html.contains("<caption>All &lt;runs&gt;</caption>"));
        assert!(html.contains("<th scope=\"col\"><button type=\"button\">Runs</button></th>"));
        assert!(html.contains("<tr><td>2026-01-05</td><td class=\"num\">3</td></tr>"));
    }
}
