"""What socklab's Python tools share: reading and writing result files, benchmark identities,
metrics and the statistics of a median."""
