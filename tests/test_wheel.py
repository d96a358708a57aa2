"""The built wheel carries grammar/ and stdlib/: install it in a fresh venv and
check an example with it, from outside the source tree."""
import shutil
import subprocess
import sys
import venv

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_wheel_installs_and_checks(tmp_path):
    dist = tmp_path / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = dist.glob("policylang-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "support-bot.policy", work / "support-bot.policy")
    r = subprocess.run([str(env_dir / "bin" / "policylang"), "check", "--strict", "support-bot.policy"],
                       capture_output=True, text=True, cwd=work, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "checked 1 file(s): 0 error(s)" in r.stdout
    r = subprocess.run([str(py), "-c", "import policylang, pathlib; print(pathlib.Path(policylang.__file__).parent)"],
                       capture_output=True, text=True, cwd=work)
    assert str(ROOT) not in r.stdout  # the installed copy, not the checkout
