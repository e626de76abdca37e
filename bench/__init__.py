"""`make bench`: the system's figures beside the ceilings this machine allows (issue 6)."""
