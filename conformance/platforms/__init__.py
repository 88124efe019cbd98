"""The catalog on other platforms: Debian's packaged kernels booted under QEMU, loopback only."""
