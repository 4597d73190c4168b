"""Give an existing env that has no pip the pip its base interpreter bundles — without running anything.

Envs made by ``uv venv`` (without ``--seed``), ``python -m venv --without-pip`` or a Debian Python
lacking ``python3.X-venv`` have no pip, so ``pip install`` in an activated terminal silently runs the
global pip. Recreating the env fixes that but reinstalls everything; this adds just pip, the same way
creation seeds it (pipseed.py): the base interpreter's bundled wheel, unpacked once into the cache,
hard-linked into the env's site-packages, plus the ``pip`` scripts.
"""

from __future__ import annotations

from pathlib import Path

from venvkeeper.creation.pipseed import bundled_pip_wheel_under, cached_pip_wheel, pip_image, seed_pip
from venvkeeper.discovery.model import Environment
from venvkeeper.guards.base_interpreters import base_of_env
from venvkeeper.guards.health import has_pip
from venvkeeper.host import Host


class AddPipError(Exception):
    """Pip cannot be added this way; the message says why and what to do instead."""


def add_pip(env: Environment, host: Host) -> Path:
    """Seed pip into ``env``; return the new ``pip-*.dist-info``."""
    if env.layout == "windows":
        # pip writes its own .exe launchers there; only pip itself (or Recreate) can.
        raise AddPipError(f"on Windows, add pip with '{env.python} -m ensurepip' or recreate {env.name}")
    if env.state != "ok" or env.cfg is None:
        raise AddPipError(f"{env.name} is broken ({env.problem}); recreate it instead")
    sites = env.site_packages()
    major_minor = env.cfg.major_minor
    if not sites or major_minor is None:
        raise AddPipError(f"{env.name} has no site-packages directory; recreate it instead")
    if has_pip(env):
        raise AddPipError(f"{env.name} already has pip")
    base = base_of_env(env)
    wheel = bundled_pip_wheel_under(base.prefix, major_minor, windows=False) if base is not None else None
    if wheel is not None:
        wheel = cached_pip_wheel(host.cache_dir, wheel)
    else:
        cached = sorted((host.cache_dir / "pip-wheels").glob("pip-*.whl"))
        if not cached:
            raise AddPipError(
                f"the base Python of {env.name} bundles no pip (Debian/Ubuntu: apt install "
                f"python{major_minor}-venv), and none is cached; recreate {env.name} instead"
            )
        wheel = cached[-1]
    image, _fresh = pip_image(host.cache_dir, wheel, major_minor)
    seed_pip(env.path, sites[0], image, final_env_dir=env.path, major_minor=major_minor, windows=False)
    return sorted(sites[0].glob("pip-*.dist-info"))[-1]
