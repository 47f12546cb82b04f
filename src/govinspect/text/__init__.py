"""Chinese text checks: serious wording errors, typos, personal data, illegal content, sensitive wording.

Pure functions of text (and ``as_of``); no network. The same functions run on article bodies, titles and
published messages inside ``inspect``, on new-media posts, and from ``govinspect text check``.
"""
