import pathlib

import pytest


def pytest_addoption(parser):
    parser.addoption("--conform", required=True, help="path to the socklab-conform binary")


@pytest.fixture(scope="session")
def conform(request):
    path = pathlib.Path(request.config.getoption("--conform"))
    assert path.is_file(), f"{path} is not built"
    return path
