"""The sandbox provider: a pretend card-payment company living inside the project.

It plays the part of an outside provider so the whole online flow runs with no account anywhere:
a hosted payment page (views.py, templates/sandbox/), its own records of charges and refunds
(models.py), and signed webhooks to the shop (tasks.py). It speaks to the shop only as a real
provider would: it reads what to charge through payments.selectors (a real provider would get it
in the API call that opens a checkout session), and reports back through the shop's webhook,
verified by the shop's sandbox gateway like any other.
"""
