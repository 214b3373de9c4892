"""The README's quick start, run as written (only the key and URL come from the env)."""

import subprocess
import sys

from conftest import ROOT, answer_when_asked


def test_quickstart_prints_the_decision(env, client):
    t, found = answer_when_asked(client, "Wire $8,400 to Meridian?", 0)
    out = subprocess.run([sys.executable, str(ROOT / "sdk" / "python" / "examples" / "quickstart.py")],
                         capture_output=True, text=True, timeout=120)
    t.join()
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Approve recipient"
    assert found["pause"].recipient == "+13128471928"


def _code(text):
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_readme_quick_start_is_the_example():
    readme = (ROOT / "sdk" / "python" / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    example = (ROOT / "sdk" / "python" / "examples" / "quickstart.py").read_text()
    assert _code(block) == _code(example)
