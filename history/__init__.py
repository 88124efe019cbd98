"""socklab's results history: runs kept over time (store), and the changes found in them (changes)."""
