"""Plumbing shared by every stage: errors, atomic writes, progress, image reading. numpy only."""
