"""The Schools Forum pack: public HTML and PDF under disclosure control, and the finance officers' workbook.

`pack.build_pack` draws it: `data` reads the marts; `headline` and `sections` (one module per section,
in one ordered registry) turn them into the public `content`; every public table goes through
`public_tables`, the one door to `disclosure`; `labels` names every code and `money` writes every pound;
`html`, `pdf`, `charts` and `workbook` write it out.
"""
