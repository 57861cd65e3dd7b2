"""report.html: the report as one self-contained web page (报告网页).

Figures are embedded as ``data:image/png;base64`` URIs and the style sheet is inline: the page
links to nothing (no fonts, scripts or style sheets from elsewhere) and opens offline. Tables are
rendered from their DataFrames with the same cell texts as report.md
(:func:`puhui.report.formats.present`); headings and prose from the Markdown the report sections
wrote, by the ``markdown`` package with raw HTML, images and links turned off (a ``<`` in a
product name is shown, not run). The same report gives the same bytes.
"""

from __future__ import annotations

import base64
import html

from .formats import Shown
from .labels import text

#: Fonts tried in order: Latin first, then the common CJK families (installed ones only; the page
#: loads no font).
FONT_STACK = ('"DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, "Noto Sans CJK SC", '
              '"Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", '
              '"Microsoft YaHei", "PingFang SC", "Droid Sans Fallback", sans-serif')

STYLE = """
:root { color-scheme: light; }
body { font-family: FONT_STACK; font-size: 15px; line-height: 1.55; color: #1f2328;
       background: #fff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.8em; border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.4em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; margin-top: 1.8em; }
h3 { font-size: 1.15em; margin-top: 1.5em; }
h4, h5, h6 { font-size: 1em; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .9em;
       background: #f3f4f6; padding: .1em .3em; border-radius: 4px; }
nav.toc { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px;
          padding: 8px 16px; margin: 16px 0; font-size: .92em; }
nav.toc ul { margin: 4px 0; padding-left: 20px; }
nav.toc a { color: #0550ae; text-decoration: none; }
figure { margin: 18px 0; }
figcaption { font-size: .92em; color: #444; margin: 6px 0; }
figcaption .src { color: #6e7781; font-family: "DejaVu Sans Mono", monospace; font-size: .85em; }
.scroll { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; }
table { border-collapse: collapse; font-size: .86em; font-variant-numeric: tabular-nums;
        width: max-content; min-width: 40%; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e5e7eb; white-space: nowrap; }
th { background: #eef1f5; text-align: left; font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; }
tbody tr:nth-child(even) { background: #f9fafb; }
p.more { font-size: .85em; color: #6e7781; margin: 4px 0; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
footer { margin-top: 32px; border-top: 1px solid #d0d7de; padding-top: 8px; font-size: .85em;
         color: #57606a; }
""".replace("FONT_STACK", FONT_STACK)


def _markdown():
    """A Markdown converter without raw HTML, images or links (text stays text)."""
    import markdown

    md = markdown.Markdown(extensions=[], output_format="html")
    md.preprocessors.deregister("html_block")
    for name in ("html", "image_link", "image_reference", "short_image_ref", "link",
                 "reference", "short_reference", "autolink", "automail"):
        if name in md.inlinePatterns:
            md.inlinePatterns.deregister(name)
    return md


def _inline(md, source: str) -> str:
    """Markdown of one line (a heading, a caption) as inline HTML: converted as a heading, so
    a leading ``1.`` or ``-`` stays text instead of starting a list."""
    md.reset()
    out = md.convert("# " + " ".join(source.split())).strip()
    if out.startswith("<h1>") and out.endswith("</h1>"):
        out = out[4:-5]
    return out


def table_html(shown: Shown, *, name: str, caption_html: str, lang: str | None) -> str:
    """One table: caption with its CSV file, the header (tooltip: other language and the CSV
    column name), the first rows and a note of the rows not shown."""
    cls = [' class="num"' if num else "" for num in shown.numeric]
    head = "".join(f'<th{c} title="{html.escape(hint)}">{html.escape(h)}</th>'
                   for h, hint, c in zip(shown.headers, shown.hints, cls, strict=True))
    body = "\n".join(
        "<tr>" + "".join(f"<td{c}>{html.escape(v)}</td>"
                         for v, c in zip(row, cls, strict=True)) + "</tr>"
        for row in shown.rows)
    cap = (f"<figcaption>{caption_html} <span class=\"src\">tables/{html.escape(name)}.csv"
           "</span></figcaption>")
    note = text("more_rows_html", lang, n=f"{shown.hidden:,}", name=name)
    more = f'<p class="more">{html.escape(note)}</p>' if shown.hidden else ""
    return (f'<figure class="table" id="table-{html.escape(name)}">{cap}<div class="scroll">'
            f"<table><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table></div>"
            f"{more}</figure>")


def render(title: str, blocks: list[tuple], *, lang: str | None) -> bytes:
    """The page of a report: ``blocks`` are ``("heading", level, text)``, ``("text", text)``,
    ``("table", name, caption, Shown)`` and ``("figure", name, caption, png_bytes)``."""
    md = _markdown()
    toc, body = [], []
    n_heading = 0
    for block in blocks:
        kind = block[0]
        if kind == "heading":
            _, level, heading = block
            n_heading += 1
            anchor = f"s{n_heading}"
            inner = _inline(md, heading)
            level = min(max(int(level), 2), 6)
            body.append(f'<h{level} id="{anchor}">{inner}</h{level}>')
            if level <= 3:
                toc.append((level, anchor, inner))
        elif kind == "text":
            md.reset()
            body.append(md.convert(block[1]))
        elif kind == "table":
            _, name, caption, shown = block
            cap = f"<strong>{_inline(md, caption)}</strong>" if caption else ""
            body.append(table_html(shown, name=name, caption_html=cap, lang=lang))
        elif kind == "figure":
            _, name, caption, png = block
            uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            alt = html.escape(caption or name)
            cap = f"<figcaption><em>{_inline(md, caption)}</em></figcaption>" if caption else ""
            body.append(f'<figure id="figure-{html.escape(name)}"><img src="{uri}" alt="{alt}">'
                        f"{cap}</figure>")
        else:  # pragma: no cover - the Report only makes the four kinds
            raise ValueError(f"unknown report block {kind!r}")
    nav = ""
    if len(toc) > 1:
        items = "\n".join(f'<li style="margin-left:{(lv - 2) * 16}px"><a href="#{a}">{t}</a></li>'
                          for lv, a, t in toc)
        nav = (f'<nav class="toc"><strong>{html.escape(text("contents", lang))}</strong>'
               f"<ul>\n{items}\n</ul></nav>")
    trailer = _inline(md, text("trailer", lang))
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="puhui">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_inline(md, title)}</h1>\n{nav}\n" + "\n".join(body)
        + f"\n<footer><p>{trailer}</p><p>{html.escape(text('files', lang))}</p></footer>\n"
        "</main>\n</body>\n</html>\n")
    return page.encode("utf-8")
