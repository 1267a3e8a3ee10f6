"""The merge queue: rebase, gate, land the exact tested commit, hand conflicts back."""
