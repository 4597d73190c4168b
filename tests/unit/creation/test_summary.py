from pathlib import Path

from venvkeeper.creation import summary


def test_created_says_env_python_packages_and_time() -> None:
    assert (
        summary.created(".venv", "3.11.7", 54, 14.2)
        == "Created .venv with Python 3.11.7 and installed 54 packages in 14 s"
    )
    assert (
        summary.created(".venv", "3.12", 1, 0.2)
        == "Created .venv with Python 3.12 and installed 1 package in 1 s"
    )
    assert summary.created("venv", "3.12", 0, 3, replaced=True) == "Recreated venv with Python 3.12 in 3 s"


def test_installed_and_synced() -> None:
    assert summary.installed(".venv", ["tinydep==1.0"], 2.4) == "Installed tinydep==1.0 into .venv in 2 s"
    assert (
        summary.installed(".venv", ["a", "b", "c", "d"], 65) == "Installed 4 packages into .venv in 1 min 5 s"
    )
    assert summary.synced(".venv", "requirements.txt", 120) == "Synced .venv with requirements.txt in 2 min"


def test_env_label() -> None:
    assert summary.env_label(Path("/p/.venv"), Path("/p")) == ".venv"
    assert summary.env_label(Path("/envs/x"), Path("/p")) == "/envs/x"
