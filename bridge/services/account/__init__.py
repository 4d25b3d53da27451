"""What people may do to their own account (R10), and what each change sets off: the account pages
are one face of these rules."""
