"""Run inside the slim base: how long `python -m venv` takes with pip (ensurepip) and without."""

import json
import subprocess
import sys
import time


def timed(*args: str) -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", *args], check=True)
    return round(time.monotonic() - start, 3)


if __name__ == "__main__":
    with_pip = timed("/tmp/with-pip")
    without_pip = timed("--without-pip", "/tmp/without-pip")
    print(json.dumps({"with_pip_seconds": with_pip, "without_pip_seconds": without_pip}))
