"""The public pack as one self-contained HTML file: CSS inline, charts as data URIs, nothing fetched.

A Schools Forum paper is emailed and posted on the LA's website; a file that needs no other file and no
network renders the same everywhere, and years later.
"""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from orchestration.reports.content import PackContent

TEMPLATE = "pack.html.j2"


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("orchestration.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(pack: PackContent) -> str:
    """The pack as HTML text; every value is escaped by the template (autoescape)."""
    return _environment().get_template(TEMPLATE).render(pack=pack)
