"""What both front doors (the resident portal and the back office) share.

The request type and the sign-in decorators (``http``), the stepped form engine (``steps``), the
error summary at the top of a refused form (``summary``), where to go after signing in
(``sign_in``) and the CSV download with the spreadsheet-formula guard (``csv``). Front doors import
this kit; domains never do.
"""
