"""Rectification (整改) and the public error-report inbox (我为政府网站找错).

tickets.py opens one ticket per problem a unit must fix and moves it through its states; recheck.py crawls the
site again and judges the unit's answers with the same checks; inbox.py takes the public's reports; notify.py
reminds units of deadlines; audit.py keeps the append-only trail of who did what and when.
"""
