"""The Schools Forum pack: public HTML and PDF under disclosure control, and the finance officers' workbook.

`pack.build_pack` draws it; `data` reads the marts, `sections` turns them into the public content,
`disclosure` controls every public table, and `html`, `pdf`, `charts` and `workbook` write it out.
"""
