import pathlib

import pytest


def pytest_addoption(parser):
    parser.addoption("--bench", required=True, help="path to the socklab-bench binary")


@pytest.fixture(scope="session")
def bench(request):
    path = pathlib.Path(request.config.getoption("--bench"))
    assert path.is_file(), f"{path} is not built"
    return path
