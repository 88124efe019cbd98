# SPDX-License-Identifier: MIT
"""Debian's packaged kernels, fetched by name and unpacked, never installed.

A kernel is named as the command line takes it: a series and a flavour ("6.1", "6.1-rt",
"6.12-cloud"). Its package comes from the Debian mirror the machine already uses, through an apt
configuration of socklab's own (its own lists, its own cache), so the system's sources and
package state are neither read for it nor changed. The unpacked tree is cached by package name:
the newest build of a series is fetched once."""

import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import time

from common.errors import InputError

# Where each series is packaged; 6.12 reaches bookworm only through backports.
SERIES = {"6.1": "bookworm", "6.12": "bookworm-backports"}
# The flavour's part of the package name: linux-image-<abi>-<this>.
FLAVOURS = {"": "amd64", "rt": "rt-amd64", "cloud": "cloud-amd64"}
NAMES = [f"{s}-{f}" if f else s for s in SERIES for f in FLAVOURS]
LISTS_MAX_AGE_S = 24 * 3600
APT_LIMIT_S = 600


class Unavailable(Exception):
    """The kernel cannot be had on this machine (no registry, no such package, no tool);
    str() is one line saying which and why."""


@dataclasses.dataclass(frozen=True)
class Spec:
    series: str
    flavour: str  # "" for the generic kernel

    @property
    def name(self):
        return f"{self.series}-{self.flavour}" if self.flavour else self.series

    @property
    def package_pattern(self):
        abi = r"6\.1\.0-[0-9]+" if self.series == "6.1" else re.escape(self.series) + r"\.[0-9]+\+deb12"
        return re.compile(rf"^linux-image-({abi})-{re.escape(FLAVOURS[self.flavour])}$")


@dataclasses.dataclass(frozen=True)
class Kernel:
    spec: Spec
    package: str
    release: str  # uname -r in the guest
    root: pathlib.Path  # the unpacked package

    @property
    def image(self):
        return self.root / "boot" / f"vmlinuz-{self.release}"

    @property
    def modules(self):
        return self.root / "lib" / "modules" / self.release

    def config(self, option):
        """The build's setting of CONFIG_<option>: "y", "m" or None."""
        for line in (self.root / "boot" / f"config-{self.release}").read_text().splitlines():
            if line.startswith(f"CONFIG_{option}="):
                return line.split("=", 1)[1]
        return None


def parse(text):
    """The Spec a --kernel argument names; InputError for one that names no packaged kernel."""
    series, _, flavour = text.partition("-")
    if series not in SERIES or flavour not in FLAVOURS or (flavour == "" and text.endswith("-")):
        raise InputError(f"--kernel {text!r}: not a packaged kernel (known: {', '.join(NAMES)})")
    return Spec(series, flavour)


def machine_sources(apt_dir=pathlib.Path("/etc/apt")):
    """The apt sources this machine uses (its .sources and .list files: name -> text), and the
    Debian mirror it takes bookworm from, which also serves bookworm-backports."""
    files = {f"machine-{p.name}": p.read_text() for p in sorted((apt_dir / "sources.list.d").glob("*.sources"))}
    files |= {f"machine-{p.name}": p.read_text() for p in sorted((apt_dir / "sources.list.d").glob("*.list"))}
    if (apt_dir / "sources.list").is_file():
        files["machine-sources.list"] = (apt_dir / "sources.list").read_text()
    for name, text in files.items():
        if name.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
                if "bookworm" in fields.get("Suites", "").split() and "deb" in fields.get("Types", "").split():
                    return files, fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", line)
                if m:
                    return files, m.group(1)
    raise Unavailable("no Debian bookworm mirror in this machine's apt sources to fetch kernels from")


class Cache:
    """socklab's own apt state and the kernels unpacked from it, under one folder."""

    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.apt = self.folder / "apt"

    def _apt_options(self):
        return ["-o", "Dir::Etc::sourcelist=/dev/null", "-o", f"Dir::Etc::sourceparts={self.apt / 'sources'}",
                "-o", f"Dir::State::Lists={self.apt / 'lists'}", "-o", f"Dir::Cache={self.apt / 'cache'}",
                "-o", "Dir::State::status=/dev/null", "-q"]

    def _apt(self, tool, *args, cwd=None):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not on this machine: Debian's kernels cannot be fetched")
        try:
            r = subprocess.run([tool, *self._apt_options(), *args], cwd=cwd, capture_output=True, text=True,
                               timeout=APT_LIMIT_S)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"{tool} {args[0]} did not finish within {APT_LIMIT_S} s") from None
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["no message"])[-1]
            raise Unavailable(f"{tool} {args[0]} failed: {last}")
        return r.stdout

    def update(self):
        """Refresh socklab's package lists when they are missing or a day old."""
        stamp = self.apt / "lists" / ".updated"
        if stamp.exists() and time.time() - stamp.stat().st_mtime < LISTS_MAX_AGE_S:
            return
        for sub in ("sources", "lists/partial", "cache/archives/partial"):
            (self.apt / sub).mkdir(parents=True, exist_ok=True)
        files, uri = machine_sources()
        files["socklab-backports.sources"] = (f"Types: deb\nURIs: {uri}\nSuites: bookworm-backports\n"
                                              "Components: main\n"
                                              "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n")
        for old in (self.apt / "sources").iterdir():
            old.unlink()
        for name, text in files.items():
            (self.apt / "sources" / name).write_text(text)
        self._apt("apt-get", "update")
        stamp.touch()

    def newest_package(self, spec):
        names = self._apt("apt-cache", "pkgnames", "linux-image-").split()
        found = [(m.group(1), n) for n in names if (m := spec.package_pattern.match(n))]
        if not found:
            raise Unavailable(f"kernel {spec.name}: no package linux-image-*-{FLAVOURS[spec.flavour]} "
                              f"of series {spec.series} in {SERIES[spec.series]}")
        return max(found, key=lambda f: [int(x) for x in re.findall(r"[0-9]+", f[0])])

    def kernel(self, spec):
        """The unpacked newest kernel of `spec`, fetched and unpacked if this cache lacks it."""
        self.update()
        abi, package = self.newest_package(spec)
        release = f"{abi}-{FLAVOURS[spec.flavour]}"
        root = self.folder / "unpacked" / package
        if not (root / "boot" / f"vmlinuz-{release}").is_file():
            debs = self.folder / "debs"
            debs.mkdir(parents=True, exist_ok=True)
            for old in debs.glob(f"{package}_*.deb"):
                old.unlink()
            self._apt("apt-get", "download", package, cwd=debs)
            deb = next(debs.glob(f"{package}_*.deb"))
            partial = root.with_name(root.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.parent.mkdir(parents=True, exist_ok=True)
            unpacked = subprocess.run(["dpkg-deb", "-x", str(deb), str(partial)], capture_output=True, text=True,
                                      timeout=APT_LIMIT_S)
            if unpacked.returncode != 0:
                raise Unavailable(f"dpkg-deb could not unpack {deb.name}: {unpacked.stderr.strip()}")
            shutil.rmtree(root, ignore_errors=True)
            os.replace(partial, root)  # a kernel is in the cache whole or not at all
            deb.unlink()
        return Kernel(spec, package, release, root)
