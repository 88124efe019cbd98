def pytest_addoption(parser):
    parser.addoption("--bench", default=None, help="path to the socklab-bench binary (optional)")
