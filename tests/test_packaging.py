"""A non-editable install works: the wheel carries examples/ and resources/, and the
installed command checks a bundled example and opens the window from there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(300)


def run(*command, **options) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=240, **options)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with netbuilder installed from its wheel; the dependencies are this
    environment's (added to its path without this environment's editable netbuilder)."""
    folder = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "--no-build-isolation", "-q", "-w", folder / "dist")
    (wheel,) = (folder / "dist").glob("netbuilder-*.whl")
    venv = folder / "venv"
    run(sys._base_executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", site, wheel)
    (venv / "bin" / "netbuilder").write_text(f"#!{python}\nimport sys\nfrom netbuilder.cli import main\n"
                                              "sys.exit(main())\n")
    (venv / "bin" / "netbuilder").chmod(0o755)
    return venv


def test_the_wheel_carries_examples_and_resources(installed):
    python = installed / "bin" / "python"
    where = run(python, "-c", textwrap.dedent("""
        import netbuilder
        from netbuilder import bundled
        print(netbuilder.__file__)
        print(bundled.folder("examples"))
        print(bundled.folder("resources"))
    """), cwd=installed).split()
    package = Path(where[0]).parent
    assert str(installed) in str(package), "netbuilder was imported from the checkout, not the wheel"
    examples, resources = Path(where[1]), Path(where[2])
    assert package in examples.parents and (examples / "digits_cnn.json").is_file()
    assert package in resources.parents and (resources / "themes" / "dark.qss").is_file()
    assert any((resources / "icons").glob("*.svg"))


def test_the_installed_package_checks_a_bundled_example_and_opens_the_window(installed):
    python = installed / "bin" / "python"
    example = run(python, "-c", "from netbuilder import bundled; print(bundled.folder('examples') / "
                                "'digits_cnn.json')", cwd=installed).strip()
    assert "ok" in run(installed / "bin" / "netbuilder", "check", example, cwd=installed)
    shown = run(python, "-c", textwrap.dedent("""
        from netbuilder.ui import app, theme
        app.create_application()
        window = app.open_main_window(None)
        print(len(window.editor.doc.nodes), theme.ICONS.is_dir(), bool(app.QApplication.instance().styleSheet()))
    """), cwd=installed, env={"QT_QPA_PLATFORM": "offscreen", "HOME": str(installed), "PATH": ""})
    nodes, icons, styled = shown.split()
    assert int(nodes) > 3 and icons == "True" and styled == "True"
