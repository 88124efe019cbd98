"""The repository's root is the import root of socklab's Python code (common, reports, ci, bench.peers,
conformance.reference): pytest puts this directory on sys.path for the tests, and the tools the tests
start find it through PYTHONPATH, as they do under ./socklab."""
import os
import pathlib

ROOT = str(pathlib.Path(__file__).resolve().parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
