/// A self-contained HTML report page: one file, inline CSS and SVG, no script and no network fetch, readable on a
/// phone (it reflows to one column) and in a dark theme (it follows `prefers-color-scheme`).
public struct HTMLPage: Sendable {
    /// The page title (the browser tab, and the heading).
    public var title: String
    /// The body's HTML, already escaped where it holds text.
    public var body: String

    /// Creates a page.
    public init(title: String, body: String) {
        self.title = title
        self.body = body
    }

    /// The whole document.
    public var html: String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>\(Self.escape(title))</title>
        <style>\(Self.style)</style>
        </head><body><main>
        <h1>\(Self.escape(title))</h1>
        \(body)
        <footer>Written by mlgate. Self-contained: no script, nothing fetched.</footer>
        </main></body></html>

        """
    }

    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, for element content and attribute values.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The colours every report draws with: `--a` the reference or champion, `--b` the current data or candidate.
    static let style = """
        :root{--bg:#fff;--fg:#1d2330;--muted:#5d6678;--card:#f5f7fa;--line:#d5dae3;--a:#3b6fd8;--b:#e8772e;--bad:#c93838;--good:#23875a}
        @media (prefers-color-scheme: dark){:root{--bg:#12151b;--fg:#e6e9ef;--muted:#9aa3b5;--card:#1c212b;--line:#343b48;--a:#7aa2f7;--b:#ff9e5e;--bad:#f26d6d;--good:#5fd39a}}
        *{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
        main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .6rem}
        .summary{display:flex;flex-wrap:wrap;gap:8px 20px;align-items:center;margin-bottom:1rem}
        .badge{display:inline-block;padding:2px 10px;border-radius:999px;font-weight:600;color:#fff}.bad{background:var(--bad)}.good{background:var(--good)}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
        .card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px}.card h3{margin:0 0 4px;font-size:1rem}
        .card.drifted{border-color:var(--bad)}.muted{color:var(--muted);font-size:.9rem}
        svg{width:100%;height:auto;display:block}svg text{fill:var(--muted);font-size:11px}
        .ref{fill:var(--a);stroke:var(--a)}.cur{fill:var(--b);stroke:var(--b)}.axis{stroke:var(--line)}
        .legend span{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 4px 0 10px;vertical-align:middle}
        .table{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}
        th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
        footer{margin-top:2rem;color:var(--muted);font-size:.8rem}
        """
}
