import os
import pathlib

import pytest

from conformance.platforms import guest
from conformance.tests.platform_fakes import (BUILTIN_9P, FAKE_QEMU, NINE_P, executable, fake_apt_cache,
                                              fake_kernel)


def pytest_addoption(parser):
    parser.addoption("--conform", required=True, help="path to the socklab-conform binary")


@pytest.fixture(scope="session")
def conform(request):
    path = pathlib.Path(request.config.getoption("--conform"))
    assert path.is_file(), f"{path} is not built"
    return path


@pytest.fixture
def bin_dir(tmp_path, monkeypatch):
    """A folder of stand-in tools put first on PATH."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:{os.environ['PATH']}")
    return folder


@pytest.fixture
def qemu(bin_dir, tmp_path, monkeypatch):
    """The stand-in QEMU; `qemu(mode)` sets what it does and returns the file it records in."""
    executable(bin_dir / guest.QEMU, FAKE_QEMU)
    log = tmp_path / "qemu.args"
    monkeypatch.setenv("FAKE_QEMU_LOG", str(log))

    def use(mode, socklab_status=0):
        monkeypatch.setenv("FAKE_QEMU", mode)
        monkeypatch.setenv("FAKE_SOCKLAB", str(socklab_status))
        return log
    return use


@pytest.fixture
def cached_kernel(tmp_path, bin_dir):
    """A cache holding kernel 6.1 (a stand-in, so nothing is fetched) with fresh package lists."""
    cache = tmp_path / "cache"
    fake_kernel(cache / "unpacked" / "linux-image-6.1.0-99-amd64", NINE_P, builtin=BUILTIN_9P)
    (cache / "apt" / "lists").mkdir(parents=True)
    (cache / "apt" / "lists" / ".updated").touch()
    fake_apt_cache(bin_dir, "linux-image-6.1.0-99-amd64")
    return cache
