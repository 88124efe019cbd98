"""socklab's regression gate (gate), its same-machine A/B driver (ab) and the tools that measure them."""
