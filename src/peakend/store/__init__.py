"""Where results are kept: run folders, their ledger, atomic files, the experiment store.

Also what a folder needs to be run again (``rerun``) and what its columns mean
(``dictionary``).
"""
