"""The customer pages of the Accounting (ACCT-1 to ACCT-3) and Account info (LEDG-2, LEDG-3) menus.

`billing.views` keeps the PDF download; these modules hold the lists, statements and statistics.
"""
