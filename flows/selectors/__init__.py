"""Reads. One module per area: definitions (task UIs, flows, teams), loops, work (claimable work)."""
